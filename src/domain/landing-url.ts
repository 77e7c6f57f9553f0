/**
 * Where a tracking link may send a visitor. Every landing URL is parsed with the WHATWG URL
 * parser (the one browsers use) and its host compared exactly with the program's allowed
 * domains, so `shop.example@evil.example`, `shop.example.evil.example`, `//evil` and look-alike
 * IDNs (which the parser turns into punycode) never match (P14).
 */
export type LandingUrlFailure = 'not_a_url' | 'bad_scheme' | 'has_credentials' | 'host_not_allowed' | 'too_long';

export const MAX_URL_LENGTH = 2048;

/** Normalises an allowed-domain entry ("Shop.Example", "shop.example:8443") to a URL host. */
export function normalizeAllowedDomain(entry: string): string | undefined {
  if (!/^[A-Za-z0-9.\-:\u0080-\uffff]+$/.test(entry)) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(`https://${entry}/`);
  } catch {
    return undefined;
  }
  if (parsed.username || parsed.password || parsed.pathname !== '/' || parsed.search || parsed.hash) return undefined;
  if (!parsed.hostname.includes('.') && parsed.hostname !== 'localhost') return undefined;
  return parsed.host;
}

export function checkLandingUrl(
  text: string,
  allowedHosts: readonly string[],
): { ok: true; url: string } | { ok: false; reason: LandingUrlFailure } {
  if (text.length > MAX_URL_LENGTH) return { ok: false, reason: 'too_long' };
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    return { ok: false, reason: 'not_a_url' };
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return { ok: false, reason: 'bad_scheme' };
  if (parsed.username || parsed.password) return { ok: false, reason: 'has_credentials' };
  if (!allowedHosts.includes(parsed.host)) return { ok: false, reason: 'host_not_allowed' };
  return { ok: true, url: parsed.href };
}

/**
 * A URL that already passed `checkLandingUrl`, cut where `name=value` goes: `fillQueryParam`
 * appends the value keeping the URL's own query text byte for byte (URLSearchParams would
 * re-encode it) and its fragment. Cut once, filled for every click on the link.
 */
export interface QueryParamSlot {
  before: string;
  after: string;
}

export function queryParamSlot(url: string, name: string): QueryParamSlot {
  const hashAt = url.indexOf('#');
  const base = hashAt === -1 ? url : url.slice(0, hashAt);
  const separator = base.includes('?') ? (base.endsWith('?') || base.endsWith('&') ? '' : '&') : '?';
  return { before: `${base}${separator}${encodeURIComponent(name)}=`, after: hashAt === -1 ? '' : url.slice(hashAt) };
}

export function fillQueryParam(slot: QueryParamSlot, value: string): string {
  return slot.before + encodeURIComponent(value) + slot.after;
}

export const landingUrlMessages: Record<LandingUrlFailure, string> = {
  not_a_url: 'is not an absolute URL',
  bad_scheme: 'must use http or https',
  has_credentials: 'must not contain a user name or password',
  host_not_allowed: "is not on the program's allowed domains",
  too_long: `is longer than ${MAX_URL_LENGTH} characters`,
};
