import type { ClickIdFailure, VerifiedClickId } from './click-id';

/**
 * Which affiliate earned an order, decided once when the order is first seen, with a receipt
 * that says why: the source that won, the other candidates and why they lost, the window check,
 * and the suspicion flags that hold the commission for review (P2, P12, P15).
 */
export const ATTRIBUTION_SOURCES = ['click', 'coupon'] as const;
export type AttributionSource = (typeof ATTRIBUTION_SOURCES)[number];
export type AttributionMethod = AttributionSource | 'none';

/** Per-program checks that hold an order for review. All off until the merchant turns them on. */
export interface FraudChecks {
  minClickToOrderSeconds?: number | undefined;
  selfReferral?: boolean | undefined;
  paidSearch?: boolean | undefined;
}

export type ClickRejection = ClickIdFailure | 'other_program' | 'click_after_order' | 'expired';
export type CouponRejection = 'unknown_coupon';

export interface AffiliateFacts {
  /** The affiliate's standing in the program; null when not a member at all. */
  membership: 'approved' | 'suspended' | null;
  /** The order's customer is one the affiliate declared as their own. */
  isCustomer: boolean;
}

export interface AttributionInput {
  programId: number;
  cookieDays: number;
  sources: readonly AttributionSource[];
  fraudChecks: FraudChecks;
  placedAtMs: number;
  click?: {
    clickId: string;
    verification: { ok: true; click: VerifiedClickId } | { ok: false; reason: ClickIdFailure };
    /** The stored click row, when it exists: it is not needed to attribute (P2). */
    row?: { paidSearchParam: string | null } | undefined;
  };
  coupon?: { code: string; affiliateId: number | null };
  affiliates: ReadonlyMap<number, AffiliateFacts>;
}

export type SuspicionFlag =
  'click_to_order_too_fast' | 'self_referral' | 'paid_search' | 'affiliate_suspended' | 'affiliate_not_in_program';

export interface CandidateReceipt {
  source: AttributionSource;
  value: string;
  affiliateId: number | null;
  verdict: 'won' | 'valid_not_chosen' | 'rejected';
  reason?: ClickRejection | CouponRejection | undefined;
  clickedAt?: string | undefined;
  linkId?: number | undefined;
}

export interface AttributionReceipt {
  method: AttributionMethod;
  reason: string;
  rule: string;
  placedAt: string;
  candidates: CandidateReceipt[];
  window?: { clickedAt: string; placedAt: string; cookieDays: number; ageSeconds: number; withinWindow: boolean } | undefined;
  flags: { flag: SuspicionFlag; holds: boolean; detail: string }[];
}

export interface AttributionDecision {
  method: AttributionMethod;
  reason: string;
  affiliateId: number | null;
  linkId: number | null;
  clickId: string | null;
  couponCode: string | null;
  held: boolean;
  receipt: AttributionReceipt;
}

const DAY_MS = 86_400_000;

function checkClick(input: AttributionInput): CandidateReceipt | undefined {
  const click = input.click;
  if (!click) return undefined;
  const base = { source: 'click' as const, value: click.clickId };
  if (!click.verification.ok) return { ...base, affiliateId: null, verdict: 'rejected', reason: click.verification.reason };
  const v = click.verification.click;
  const seen = { ...base, affiliateId: v.affiliateId, linkId: v.linkId, clickedAt: new Date(v.clickedAtMs).toISOString() };
  if (v.programId !== input.programId) return { ...seen, verdict: 'rejected', reason: 'other_program' };
  if (v.clickedAtMs > input.placedAtMs) return { ...seen, verdict: 'rejected', reason: 'click_after_order' };
  if (input.placedAtMs - v.clickedAtMs > input.cookieDays * DAY_MS) return { ...seen, verdict: 'rejected', reason: 'expired' };
  return { ...seen, verdict: 'valid_not_chosen' };
}

function checkCoupon(input: AttributionInput): CandidateReceipt | undefined {
  const coupon = input.coupon;
  if (!coupon) return undefined;
  const base = { source: 'coupon' as const, value: coupon.code, affiliateId: coupon.affiliateId };
  if (coupon.affiliateId === null) return { ...base, verdict: 'rejected', reason: 'unknown_coupon' };
  return { ...base, verdict: 'valid_not_chosen' };
}

export function attribute(input: AttributionInput): AttributionDecision {
  const placedAt = new Date(input.placedAtMs).toISOString();
  const checked: Partial<Record<AttributionSource, CandidateReceipt>> = { click: checkClick(input), coupon: checkCoupon(input) };
  const candidates = input.sources.map((s) => checked[s]).filter((c): c is CandidateReceipt => c !== undefined);
  const winner = candidates.find((c) => c.verdict === 'valid_not_chosen');
  const rule = `first valid source in the program's order: ${input.sources.join(', ')}`;
  const clickCandidate = checked.click;
  const window =
    clickCandidate?.clickedAt !== undefined
      ? {
          clickedAt: clickCandidate.clickedAt,
          placedAt,
          cookieDays: input.cookieDays,
          ageSeconds: Math.floor((input.placedAtMs - Date.parse(clickCandidate.clickedAt)) / 1000),
          withinWindow: clickCandidate.reason !== 'expired' && clickCandidate.reason !== 'click_after_order',
        }
      : undefined;

  if (!winner) {
    const firstRejection = candidates.find((c) => c.verdict === 'rejected');
    const reason = firstRejection ? `${firstRejection.source}_${firstRejection.reason}` : 'no_click_or_coupon';
    return {
      method: 'none',
      reason,
      affiliateId: null,
      linkId: null,
      clickId: null,
      couponCode: null,
      held: false,
      receipt: { method: 'none', reason, rule, placedAt, candidates, window, flags: [] },
    };
  }
  winner.verdict = 'won';
  const affiliateId = winner.affiliateId!;
  const facts = input.affiliates.get(affiliateId) ?? { membership: null, isCustomer: false };
  const flags: AttributionReceipt['flags'] = [];
  if (facts.membership === 'suspended') {
    flags.push({ flag: 'affiliate_suspended', holds: true, detail: 'the affiliate is suspended from the program' });
  } else if (facts.membership === null) {
    flags.push({ flag: 'affiliate_not_in_program', holds: true, detail: 'the affiliate is not a member of the program' });
  }
  if (winner.source === 'click' && window) {
    const min = input.fraudChecks.minClickToOrderSeconds;
    if (min !== undefined && window.ageSeconds < min) {
      flags.push({
        flag: 'click_to_order_too_fast',
        holds: true,
        detail: `ordered ${window.ageSeconds}s after the click; the program's minimum is ${min}s`,
      });
    }
    const paidSearch = input.click?.row?.paidSearchParam;
    if (paidSearch) {
      flags.push({
        flag: 'paid_search',
        holds: input.fraudChecks.paidSearch === true,
        detail: `the click carried the paid-search id ${paidSearch}`,
      });
    }
  }
  if (facts.isCustomer) {
    flags.push({
      flag: 'self_referral',
      holds: input.fraudChecks.selfReferral === true,
      detail: 'the customer is one the affiliate declared as their own',
    });
  }
  const reason = winner.source === 'click' ? 'valid_click' : 'coupon';
  return {
    method: winner.source,
    reason,
    affiliateId,
    linkId: winner.linkId ?? null,
    clickId: winner.source === 'click' ? winner.value : null,
    couponCode: winner.source === 'coupon' ? winner.value : null,
    held: flags.some((f) => f.holds),
    receipt: { method: winner.source, reason, rule, placedAt, candidates, window, flags },
  };
}
