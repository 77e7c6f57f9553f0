import { encodeBase64Url } from '../domain/base64url';
import { encodeClickId, type ClickIdSigner } from '../domain/click-id';
import { fillQueryParam } from '../domain/landing-url';
import { cleanSubId, mergeSubIds, SUB_ID_KEYS, type SubIds } from '../domain/sub-id';
import type { AppDeps, ClickSecrets } from '../core/deps';
import type { TrackingTargets } from './tracking-targets';
import { visitorProfile } from './visitor-profile';

export interface ClickRequest {
  code: string;
  method: string;
  userAgent: string;
  referer: string;
  /** `Sec-Purpose` / `Purpose` header: browsers' prefetches are not clicks. */
  purpose: string;
  ip: string;
  country: string;
  query: Record<string, string>;
}

export type ClickOutcome =
  { kind: 'unknown_link' } | { kind: 'redirect'; location: string; clickId?: string; cookieMaxAge?: number };

/** Click ids that ad networks append to paid traffic: an affiliate bidding on search ads. */
const PAID_SEARCH_PARAMS = ['gclid', 'gbraid', 'wbraid', 'dclid', 'msclkid', 'fbclid', 'ttclid', 'twclid', 'yclid', 'li_fat_id'];

export function clickIdSigner(deps: Pick<AppDeps, 'crypto'>, secrets: ClickSecrets): ClickIdSigner {
  return (keyId, payload) => {
    const key = secrets.keys.get(keyId);
    return key ? deps.crypto.hmacSha256(key, payload) : undefined;
  };
}

function refererHost(referer: string): string {
  if (!referer) return '';
  try {
    return new URL(referer).host.slice(0, 255);
  } catch {
    return '';
  }
}

/** ISO 3166 alpha-2 or ''. XX and T1 are Cloudflare's "unknown" and "Tor". */
function normalizeCountry(value: string): string {
  if (value === '') return '';
  const upper = value.trim().toUpperCase();
  return /^[A-Z]{2}$/.test(upper) && upper !== 'XX' && upper !== 'T1' ? upper : '';
}

/**
 * The click's time as stored text, remembered for the last millisecond: a busy link gets many
 * clicks per millisecond, and `toISOString` cost more than signing the click id's payload.
 */
let lastMs = Number.NaN;
let lastIso = '';
function isoTime(ms: number, date: Date): string {
  if (ms !== lastMs) {
    lastIso = date.toISOString();
    lastMs = ms;
  }
  return lastIso;
}

/** Whether the tracking URL has a query at all: most carry none, and then no sub-id or ad click id can be on it. */
function hasAny(query: Record<string, string>): boolean {
  for (const _ in query) return true;
  return false;
}

/** Sub-ids on the tracking URL, cleaned: they override the link's own. */
function subIdOverrides(query: Record<string, string>): SubIds {
  const overrides: SubIds = {};
  for (const key of SUB_ID_KEYS) {
    const value = query[key];
    if (value === undefined) continue;
    const cleaned = cleanSubId(value);
    if (cleaned !== undefined) overrides[key] = cleaned;
  }
  return overrides;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** The visitor hash: an address's 12 bytes XOR an agent's, in hex. */
function xorHex(a: Uint8Array, b: Uint8Array): string {
  let out = '';
  for (let i = 0; i < 12; i++) out += HEX[a[i]! ^ b[i]!]!;
  return out;
}

const MAX_MEMO_ENTRIES = 20_000;
interface VisitorIdentity {
  ipHash: string;
  visitorHash: string;
}
interface AddressMac {
  ipHash: string;
  /** Bytes 16–27 of the address's MAC: the address's half of the visitor hash. */
  tail: Uint8Array;
}
/** Per key: MACs of addresses and of agents, each memoised (and emptied when full) on its own. */
const macsByKey = new WeakMap<Uint8Array, { byIp: Map<string, AddressMac>; byAgent: Map<string, Uint8Array> }>();

/**
 * One keyed hash per new visitor. The address's HMAC gives the IP hash (its first 16 bytes) and
 * half of the visitor hash (bytes 16–27); the user agent's HMAC, of which an audience has a few
 * thousand and which is memoised, gives the other half: visitor hash = the two XORed. Both are
 * outputs of the keyed hash, so the visitor hash is as unpredictable without the key as one HMAC
 * of IP + agent was (two visitors collide with chance 2^-96); what it reveals beyond that, that
 * clicks share an address, the IP hash beside it already says. A new address used to cost two
 * HMACs, the longer over the whole agent, and two Maps in the memo: the redirect's largest cost
 * per new visitor in its profiles.
 */
export function visitorIdentity(crypto: AppDeps['crypto'], key: Uint8Array, ip: string, userAgent: string): VisitorIdentity {
  let macs = macsByKey.get(key);
  if (!macs) macsByKey.set(key, (macs = { byIp: new Map(), byAgent: new Map() }));
  let address = macs.byIp.get(ip);
  if (!address) {
    const mac = crypto.hmacSha256(key, `ip\n${ip}`);
    address = { ipHash: encodeBase64Url(mac.subarray(0, 16)), tail: mac.slice(16, 28) };
    if (macs.byIp.size >= MAX_MEMO_ENTRIES) macs.byIp.clear();
    macs.byIp.set(ip, address);
  }
  let agent = macs.byAgent.get(userAgent);
  if (!agent) {
    agent = crypto.hmacSha256(key, `agent\n${userAgent}`).slice(0, 12);
    if (macs.byAgent.size >= MAX_MEMO_ENTRIES) macs.byAgent.clear();
    macs.byAgent.set(userAgent, agent);
  }
  return { ipHash: address.ipHash, visitorHash: xorHex(address.tail, agent) };
}

/**
 * The tracked redirect: resolve the code, sign a click id, commit the click row and only then
 * answer with the landing URL (P1). Paused links and programs still redirect, untracked.
 */
export async function trackClick(
  deps: Pick<AppDeps, 'clicks' | 'crypto' | 'clickSecrets' | 'clock' | 'log'>,
  targets: TrackingTargets,
  sign: ClickIdSigner,
  request: ClickRequest,
): Promise<ClickOutcome> {
  const now = deps.clock.now();
  const nowMs = now.getTime();
  const target = await targets.get(request.code, nowMs);
  if (!target) return { kind: 'unknown_link' };
  if (!target.tracking) return { kind: 'redirect', location: target.landingUrl };

  const hasQuery = hasAny(request.query);
  const userAgent = request.userAgent.slice(0, 512);
  const profile = visitorProfile(userAgent);
  const prefetch = /prefetch|prerender/i.test(request.purpose);
  const isBot = profile.isBot || request.method === 'HEAD' || prefetch;
  const { ipHash, visitorHash } = visitorIdentity(deps.crypto, deps.clickSecrets.visitorKey, request.ip, userAgent);

  const clickId = encodeClickId(
    { programId: target.programId, affiliateId: target.affiliateId, linkId: target.linkId, clickedAtMs: nowMs },
    deps.clickSecrets.signingKeyId,
    deps.crypto.randomBytes(6),
    sign,
  );
  try {
    await deps.clicks.record({
      clickId,
      linkId: target.linkId,
      programId: target.programId,
      affiliateId: target.affiliateId,
      clickedAt: isoTime(nowMs, now),
      ipHash,
      visitorHash,
      userAgent,
      browser: profile.browser,
      os: profile.os,
      device: profile.device,
      isBot,
      country: normalizeCountry(request.country),
      refererHost: refererHost(request.referer),
      subIds: hasQuery ? mergeSubIds(target.subIds, subIdOverrides(request.query)) : target.subIds,
      paidSearchParam: hasQuery ? (PAID_SEARCH_PARAMS.find((p) => request.query[p] !== undefined) ?? null) : null,
    });
  } catch (error) {
    // The visitor still lands; the click is simply not tracked (and not acknowledged with an id).
    deps.log.error('click not recorded', { error: String(error), linkId: target.linkId });
    return { kind: 'redirect', location: target.landingUrl };
  }
  return {
    kind: 'redirect',
    location: fillQueryParam(target.clickIdSlot, clickId),
    clickId,
    cookieMaxAge: target.cookieDays * 86_400,
  };
}
