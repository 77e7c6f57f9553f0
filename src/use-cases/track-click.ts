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

function hex(bytes: Uint8Array, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += bytes[i]!.toString(16).padStart(2, '0');
  return out;
}

const MAX_VISITOR_ENTRIES = 20_000;
interface VisitorIdentity {
  ipHash: string;
  visitorHash: string;
}
/** key → IP → user agent → identity; two levels, so a lookup hashes the strings as they came. */
const visitorHashesByKey = new WeakMap<Uint8Array, { size: number; byIp: Map<string, Map<string, VisitorIdentity>> }>();

/**
 * Keyed hashes of the visitor's IP, and of IP + user agent, memoised per pair: the same visitor
 * clicking again (the common case for repeat and bot traffic) costs a map lookup, not two HMACs.
 */
function visitorIdentity(crypto: AppDeps['crypto'], key: Uint8Array, ip: string, userAgent: string): VisitorIdentity {
  let memo = visitorHashesByKey.get(key);
  if (!memo) visitorHashesByKey.set(key, (memo = { size: 0, byIp: new Map() }));
  let byAgent = memo.byIp.get(ip);
  const hit = byAgent?.get(userAgent);
  if (hit) return hit;
  const identity = {
    ipHash: encodeBase64Url(crypto.hmacSha256(key, `ip\n${ip}`).subarray(0, 16)),
    visitorHash: hex(crypto.hmacSha256(key, `visitor\n${ip}\n${userAgent}`), 12),
  };
  if (memo.size >= MAX_VISITOR_ENTRIES) {
    memo.byIp.clear();
    memo.size = 0;
    byAgent = undefined;
  }
  if (!byAgent) memo.byIp.set(ip, (byAgent = new Map()));
  byAgent.set(userAgent, identity);
  memo.size++;
  return identity;
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
