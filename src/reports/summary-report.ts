import { z } from 'zod';
import type { ClickHouse, QueryParams } from '../clickhouse/clickhouse';
import { dayAfter } from '../domain/calendar';
import { type ReportRow, reportRow } from '../domain/report-metrics';

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
      return `toDate(${time}, {tz:String})`;
    case 'affiliate':
      return 'affiliate_id';
    case 'program':
      return 'program_id';
    case 'link':
      return 'link_id';
    default:
      return groupBy;
  }
}

function conditions(q: SummaryQuery, time: string): string {
  // Compare in the column's own type: converting every row of a DateTime column to DateTime64 costs.
  const bound = (name: string) =>
    time === 'hour' ? `toDateTime({${name}:String}, {tz:String})` : `toDateTime64({${name}:String}, 3, {tz:String})`;
  const where = [`${time} >= ${bound('from')}`, `${time} < ${bound('until')}`];
  if (q.programIds !== null) where.push('program_id IN {programs:Array(UInt64)}');
  if (q.affiliateId !== null) where.push('affiliate_id = {affiliate:UInt64}');
  if (q.linkId !== null) where.push('link_id = {link:UInt64}');
  return where.join(' AND ');
}

const count = z.coerce.number().int().refine(Number.isSafeInteger, 'out of range');
const TotalsRow = z.object({
  key: z.string(),
  currency: z.string(),
  c: count,
  u: count,
  o: count,
  r: count,
  m: count,
  e: count,
  s: count,
});

/** Groups the hourly click rollup can answer; the others read the raw clicks. */
const ROLLUP_GROUPS = new Set<GroupBy>(['day', 'affiliate', 'program']);

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
  const rollup = q.wholeHourZone && ROLLUP_GROUPS.has(q.groupBy) && q.linkId === null;
  const clicks = rollup
    ? `SELECT ${keyExpression(q.groupBy, 'hour')} AS k, currency, toInt64(sum(clicks)) AS c, toInt64(sum(unique_clicks)) AS u,
         toInt64(0) AS o, toInt64(0) AS r, toInt64(0) AS m, toInt64(0) AS e, toInt64(0) AS s
       FROM click_hours_v1 WHERE ${conditions(q, 'hour')} GROUP BY k, currency`
    : `SELECT ${keyExpression(q.groupBy, 'clicked_at')} AS k, currency, toInt64(countIf(is_bot = 0)) AS c,
         toInt64(countIf(is_bot = 0 AND is_unique = 1)) AS u, toInt64(0) AS o, toInt64(0) AS r, toInt64(0) AS m, toInt64(0) AS e, toInt64(0) AS s
       FROM clicks_v1 WHERE ${conditions(q, 'clicked_at')} GROUP BY k, currency`;
  // An order counts while it keeps some of its sales: not cancelled, not refunded in full.
  const orders = `SELECT ${keyExpression(q.groupBy, 'placed_at')} AS k, currency, toInt64(0) AS c, toInt64(0) AS u,
       toInt64(countIf(status NOT IN ('cancelled', 'refunded'))) AS o, toInt64(sum(revenue_minor)) AS r, toInt64(0) AS m, toInt64(0) AS e, toInt64(0) AS s
     FROM orders_v1 FINAL WHERE affiliate_id > 0 AND ${conditions(q, 'placed_at')} GROUP BY k, currency`;
  const ledger = `SELECT ${keyExpression(q.groupBy, 'placed_at')} AS k, currency, toInt64(0) AS c, toInt64(0) AS u, toInt64(0) AS o, toInt64(0) AS r,
       toInt64(sum(amount_minor)) AS m, toInt64(sumIf(amount_minor, status IN ('pending', 'held'))) AS e,
       toInt64(sumIf(amount_minor, status IN ('approved', 'paid'))) AS s
     FROM ledger_entries_v1 FINAL WHERE ${conditions(q, 'placed_at')} GROUP BY k, currency`;
  // One statement, so ClickHouse runs the three reads in parallel and answers in one round trip.
  // Keys stay in their own types (Date, UInt64) while grouping; only the result becomes text.
  // A row's versions share a partition (placed_at never changes), so FINAL may stay within each.
  const rows = await ch.query(
    `SELECT toString(k) AS key, currency, sum(c) AS c, sum(u) AS u, sum(o) AS o, sum(r) AS r, sum(m) AS m, sum(e) AS e, sum(s) AS s
     FROM (${clicks} UNION ALL ${orders} UNION ALL ${ledger})
     GROUP BY k, currency LIMIT {limit:UInt32}
     SETTINGS do_not_merge_across_partitions_select_final = 1`,
    params,
    TotalsRow,
    options,
  );
  if (rows.length > MAX_REPORT_ROWS)
    throw new ReportTooLargeError(`more than ${MAX_REPORT_ROWS} rows: narrow the dates or add a filter`);
  const numericKey = q.groupBy === 'affiliate' || q.groupBy === 'program' || q.groupBy === 'link';
  return rows
    .sort((x, y) =>
      numericKey
        ? Number(x.key) - Number(y.key) || x.currency.localeCompare(y.currency)
        : x.key.localeCompare(y.key) || x.currency.localeCompare(y.currency),
    )
    .map((r) =>
      reportRow(r.key, r.currency, {
        clicks: r.c,
        uniqueClicks: r.u,
        orders: r.o,
        revenueMinor: r.r,
        commissionMinor: r.m,
        estimatedMinor: r.e,
        settledMinor: r.s,
      }),
    );
}
