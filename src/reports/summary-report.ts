import { z } from 'zod';
import type { ClickHouse, QueryParams } from '../clickhouse/clickhouse';
import { dayAfter } from '../domain/calendar';
import { emptyTotals, type ReportRow, type ReportTotals, reportRow } from '../domain/report-metrics';

export const GROUP_BY = [
  'day',
  'affiliate',
  'program',
  'link',
  'sub1',
  'sub2',
  'sub3',
  'sub4',
  'sub5',
  'country',
  'device',
  'browser',
  'os',
] as const;
export type GroupBy = (typeof GROUP_BY)[number];

/** Past this many groups a report asks for a narrower question instead of a huge answer. */
export const MAX_REPORT_ROWS = 5000;

export interface SummaryQuery {
  /** Local dates, both included, in `tz`. */
  from: string;
  to: string;
  tz: string;
  groupBy: GroupBy;
  /** null: every program (an affiliate's own rows); otherwise only these (a merchant's scope). */
  programIds: number[] | null;
  affiliateId: number | null;
  linkId: number | null;
  /** The hourly click rollup answers only for time zones whose offsets are whole hours. */
  wholeHourZone: boolean;
  maxExecutionSeconds: number;
}

export class ReportTooLargeError extends Error {
  override name = 'ReportTooLargeError';
}

/**
 * Group keys and the columns they read. Only these fragments ever reach the SQL text: groupBy
 * is checked against this allow-list, and every value is a bound parameter.
 */
function keyExpression(groupBy: GroupBy, time: string): string {
  switch (groupBy) {
    case 'day':
      return `toString(toDate(${time}, {tz:String}))`;
    case 'affiliate':
      return 'toString(affiliate_id)';
    case 'program':
      return 'toString(program_id)';
    case 'link':
      return 'toString(link_id)';
    default:
      return groupBy;
  }
}

function conditions(q: SummaryQuery, time: string): string {
  const where = [
    `${time} >= toDateTime64({from:String}, 3, {tz:String})`,
    `${time} < toDateTime64({until:String}, 3, {tz:String})`,
  ];
  if (q.programIds !== null) where.push('program_id IN {programs:Array(UInt64)}');
  if (q.affiliateId !== null) where.push('affiliate_id = {affiliate:UInt64}');
  if (q.linkId !== null) where.push('link_id = {link:UInt64}');
  return where.join(' AND ');
}

const CountsRow = z.object({
  key: z.string(),
  currency: z.string(),
  a: z.coerce.number(),
  b: z.coerce.number(),
  c: z.coerce.number(),
});

/**
 * The summary report: clicks from the hourly rollup (or the raw clicks for sub-ids and
 * half-hour zones), orders and commission from the latest version of each row (FINAL). Rows
 * are per group key and currency, ordered by key.
 */
export async function summaryReport(ch: ClickHouse, q: SummaryQuery): Promise<ReportRow[]> {
  if (q.programIds !== null && q.programIds.length === 0) return [];
  const params: QueryParams = {
    from: `${q.from} 00:00:00`,
    until: `${dayAfter(q.to).slice(0, 10)} 00:00:00`,
    tz: q.tz,
    limit: MAX_REPORT_ROWS + 1,
    ...(q.programIds !== null ? { programs: q.programIds } : {}),
    ...(q.affiliateId !== null ? { affiliate: q.affiliateId } : {}),
    ...(q.linkId !== null ? { link: q.linkId } : {}),
  };
  const options = { maxExecutionSeconds: q.maxExecutionSeconds };
  const useRollup = q.wholeHourZone && !q.groupBy.startsWith('sub');
  const clickSql = useRollup
    ? `SELECT ${keyExpression(q.groupBy, 'hour')} AS key, currency, sum(clicks) AS a, sum(unique_clicks) AS b, sum(bot_clicks) AS c
       FROM click_hours_v1 WHERE ${conditions(q, 'hour')} GROUP BY key, currency LIMIT {limit:UInt32}`
    : `SELECT ${keyExpression(q.groupBy, 'clicked_at')} AS key, currency, countIf(is_bot = 0) AS a,
              countIf(is_bot = 0 AND is_unique = 1) AS b, countIf(is_bot = 1) AS c
       FROM clicks_v1 FINAL WHERE ${conditions(q, 'clicked_at')} GROUP BY key, currency LIMIT {limit:UInt32}`;
  // An order counts while it keeps some of its sales: not cancelled, not refunded in full.
  const orderSql = `SELECT ${keyExpression(q.groupBy, 'placed_at')} AS key, currency,
       countIf(status NOT IN ('cancelled', 'refunded')) AS a, sum(revenue_minor) AS b, 0 AS c
     FROM orders_v1 FINAL WHERE affiliate_id > 0 AND ${conditions(q, 'placed_at')} GROUP BY key, currency LIMIT {limit:UInt32}`;
  const ledgerSql = `SELECT ${keyExpression(q.groupBy, 'placed_at')} AS key, currency, sum(amount_minor) AS a,
       sumIf(amount_minor, status IN ('pending', 'held')) AS b, sumIf(amount_minor, status IN ('approved', 'paid')) AS c
     FROM ledger_entries_v1 FINAL WHERE ${conditions(q, 'placed_at')} GROUP BY key, currency LIMIT {limit:UInt32}`;

  const [clicks, orders, ledger] = [
    await ch.query(clickSql, params, CountsRow, options),
    await ch.query(orderSql, params, CountsRow, options),
    await ch.query(ledgerSql, params, CountsRow, options),
  ];
  const rows = new Map<string, { key: string; currency: string; totals: ReportTotals }>();
  const at = (key: string, currency: string) => {
    const id = `${key}\u0000${currency}`;
    let row = rows.get(id);
    if (!row) rows.set(id, (row = { key, currency, totals: emptyTotals() }));
    return row.totals;
  };
  for (const r of clicks) Object.assign(at(r.key, r.currency), { clicks: r.a, uniqueClicks: r.b });
  for (const r of orders) Object.assign(at(r.key, r.currency), { orders: r.a, revenueMinor: r.b });
  for (const r of ledger) Object.assign(at(r.key, r.currency), { commissionMinor: r.a, estimatedMinor: r.b, settledMinor: r.c });
  if (rows.size > MAX_REPORT_ROWS || [clicks, orders, ledger].some((part) => part.length > MAX_REPORT_ROWS)) {
    throw new ReportTooLargeError(`more than ${MAX_REPORT_ROWS} rows: narrow the dates or add a filter`);
  }
  const numericKey = q.groupBy === 'affiliate' || q.groupBy === 'program' || q.groupBy === 'link';
  return [...rows.values()]
    .sort((x, y) =>
      numericKey
        ? Number(x.key) - Number(y.key) || x.currency.localeCompare(y.currency)
        : x.key.localeCompare(y.key) || x.currency.localeCompare(y.currency),
    )
    .map((r) => reportRow(r.key, r.currency, r.totals));
}
