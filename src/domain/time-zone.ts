/**
 * Time zones as callers name them (IANA, "Europe/Berlin"). Intl is part of the language, on
 * Node and Workers alike, so this stays free of runtime imports.
 */
/**
 * The zone's name as ClickHouse knows it ("utc" → "UTC", "europe/berlin" → "Europe/Berlin"), or
 * undefined for no zone. Intl matches names case-insensitively but ClickHouse does not, so a
 * lower-case zone Intl accepted used to fail inside the query as a 503. A name written with
 * capitals that Intl resolves to an older alias ("Asia/Kolkata" → "Asia/Calcutta") is kept as
 * written; one in a single case takes the name Intl resolves it to (both are in tzdata).
 */
export function canonicalTimeZone(name: string): string | undefined {
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
  if (resolved.toLowerCase() === name.toLowerCase()) return resolved;
  return name === name.toLowerCase() || name === name.toUpperCase() ? resolved : name;
}

/** The zone's offset from UTC at `instant`, in minutes ("GMT+05:30" → 330). */
export function offsetMinutes(zone: string, instant: Date): number {
  const part = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' })
    .formatToParts(instant)
    .find((p) => p.type === 'timeZoneName')?.value;
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(part ?? '');
  if (!match) return 0; // "GMT": UTC itself
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  return match[1] === '-' ? -minutes : minutes;
}

/** True when every offset the zone uses between the two instants is a whole number of hours. */
export function wholeHourOffsets(zone: string, from: Date, to: Date): boolean {
  const step = 7 * 24 * 3600 * 1000;
  for (let t = from.getTime(); t <= to.getTime() + step; t += step) {
    if (offsetMinutes(zone, new Date(Math.min(t, to.getTime()))) % 60 !== 0) return false;
  }
  return true;
}
