/**
 * What an order and a ledger entry add to a report, as SQL over orders_v1 and ledger_entries_v1
 * (latest versions). One definition for the report's reads and for the daily snapshot
 * (report_days_v1), so the two cannot drift apart.
 */

/** Orders count once attributed; each column is an Int64 aggregate. */
export const ORDER_FILTER = 'affiliate_id > 0';

/** An order counts while it keeps some of its sales: not cancelled, not refunded in full. */
export const ORDER_MEASURES = {
  orders: "toInt64(countIf(status NOT IN ('cancelled', 'refunded')))",
  revenue: 'toInt64(sum(revenue_minor))',
} as const;

/** Commission: every entry; estimated while pending or held; settled once approved or paid. */
export const LEDGER_MEASURES = {
  commission: 'toInt64(sum(amount_minor))',
  estimated: "toInt64(sumIf(amount_minor, status IN ('pending', 'held')))",
  settled: "toInt64(sumIf(amount_minor, status IN ('approved', 'paid')))",
} as const;

/** Int64 zeros for the measure columns a read does not fill, so every read has the same columns. */
export const zero = (...names: string[]) => names.map((n) => `toInt64(0) AS ${n}`).join(', ');
