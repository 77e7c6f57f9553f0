import { formatId } from './ids';
import { formatMoney } from './money';
import { basisPointsToPercent } from './rate';

/**
 * Orders and ledger entries as the API shows them, over the columns they read. The routes and
 * the outbound events (outbound-events.ts) share them, so a webhook's `data` is what a GET returns.
 */
export interface OrderViewRow {
  external_id: string;
  program_id: number;
  status: string;
  currency: string;
  revenue_minor: number;
  refunded_minor: number;
  placed_at: string;
  completed_at: string | null;
  attribution_method: string;
  link_id: number | null;
  held: number;
  affiliate_id: number | null;
  attribution_reason: string;
}

export interface LedgerEntryViewRow {
  entry_id: string;
  affiliate_id: number;
  slot: string;
  kind: string;
  status: string;
  amount_minor: number;
  currency: string;
  base_minor: number | null;
  rate_bp: number | null;
  rule: string;
  plan_version: number;
  fx_rate?: string | null;
  fx_source?: string | null;
  fx_effective_at?: string | null;
  order_currency?: string | null;
  explanation: string;
  created_at: string;
}

/** An amount as the API writes it: a decimal string in its currency's precision. */
export function amount(minor: number, currency: string) {
  return formatMoney({ minor, currency });
}

/** What an affiliate may see of an order: no customer data, no line detail. */
export function affiliateOrderView<R extends OrderViewRow>(row: R) {
  return {
    id: row.external_id,
    programId: formatId('program', row.program_id),
    status: row.status as R['status'],
    currency: row.currency,
    revenue: amount(row.revenue_minor - row.refunded_minor, row.currency),
    placedAt: row.placed_at,
    completedAt: row.completed_at,
    method: row.attribution_method as R['attribution_method'],
    linkId: row.link_id === null ? null : formatId('link', row.link_id),
    held: row.held === 1,
  };
}

export function merchantOrderSummary<R extends OrderViewRow>(row: R) {
  return {
    ...affiliateOrderView(row),
    affiliateId: row.affiliate_id === null ? null : formatId('affiliate', row.affiliate_id),
    reason: row.attribution_reason,
  };
}

/** One ledger entry as an order's detail lists it. */
export function ledgerEntryView<R extends LedgerEntryViewRow>(e: R) {
  return {
    id: e.entry_id,
    affiliateId: formatId('affiliate', e.affiliate_id),
    slot: e.slot,
    kind: e.kind as R['kind'],
    status: e.status as R['status'],
    amount: amount(e.amount_minor, e.currency),
    currency: e.currency,
    base: e.base_minor === null ? null : amount(e.base_minor, e.currency),
    rate: e.rate_bp === null ? null : basisPointsToPercent(e.rate_bp),
    rule: e.rule,
    planVersion: e.plan_version,
    fx:
      (e.fx_rate ?? null) === null
        ? null
        : {
            from: e.order_currency ?? null,
            rate: e.fx_rate ?? null,
            source: e.fx_source ?? null,
            effectiveAt: e.fx_effective_at ?? null,
          },
    explanation: e.explanation,
    createdAt: e.created_at,
  };
}
