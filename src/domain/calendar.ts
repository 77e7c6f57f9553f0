/**
 * Report and filter ranges are calendar dates (`YYYY-MM-DD`, UTC), both ends inclusive; stored
 * times are ISO 8601 text, which sorts as time. These turn a date into the bounds to compare with.
 */
export function startOfDay(date: string): string {
  return `${date}T00:00:00.000Z`;
}

/** The first instant after `date`: an inclusive end becomes `< dayAfter(to)`. */
export function dayAfter(date: string): string {
  const d = new Date(startOfDay(date));
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString();
}
