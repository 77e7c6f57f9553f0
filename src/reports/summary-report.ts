import { z } from 'zod';
import type { ClickHouse, QueryOptions, QueryParams } from '../clickhouse/clickhouse';
import { dayAfter } from '../domain/calendar';
import { type ReportRow, reportRow } from '../domain/report-metrics';
import { daysWithNewVersions, REPORT_DAYS_THROUGH, StaleDay } from './report-days';
import { LEDGER_MEASURES, ORDER_FILTER, ORDER_MEASURES, zero } from './report-measures';

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

/** The caller's scope: which programs, affiliate and link. */
function filters(q: SummaryQuery): string[] {
  const where: string[] = [];
  if (q.programIds !== null) where.push('program_id IN {programs:Array(UInt64)}');
  if (q.affiliateId !== null) where.push('affiliate_id = {affiliate:UInt64}');
  if (q.linkId !== null) where.push('link_id = {link:UInt64}');
  return where;
}

function conditions(q: SummaryQuery, time: string): string {
  // Compare in the column's own type: converting every row of a DateTime column to DateTime64 costs.
  const bound = (name: string) =>
    time === 'hour' ? `toDateTime({${name}:String}, {tz:String})` : `toDateTime64({${name}:String}, 3, {tz:String})`;
  return [`${time} >= ${bound('from')}`, `${time} < ${bound('until')}`, ...filters(q)].join(' AND ');
}

/** The range as UTC days, for the daily rollups (only read when tz is UTC). */
function dayConditions(q: SummaryQuery): string {
  const bound = (name: string) => `toDate(toDateTime({${name}:String}, 'UTC'))`;
  return [`day >= ${bound('from')}`, `day < ${bound('until')}`, ...filters(q)].join(' AND ');
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

/** Groups the click rollups and report_days_v1 can answer; the others read the raw clicks. */
const ROLLUP_GROUPS = new Set<GroupBy>(['day', 'affiliate', 'program']);

/** Orders and commission from the latest version of every row (FINAL), `extra` narrowing the rows. */
function versionedReads(q: SummaryQuery, extra = ''): string[] {
  const key = keyExpression(q.groupBy, 'placed_at');
  return [
    `SELECT ${key} AS k, currency, ${zero('c', 'u')}, ${ORDER_MEASURES.orders} AS o, ${ORDER_MEASURES.revenue} AS r, ${zero('m', 'e', 's')}
     FROM orders_v1 FINAL WHERE ${ORDER_FILTER} AND ${conditions(q, 'placed_at')}${extra} GROUP BY k, currency`,
    `SELECT ${key} AS k, currency, ${zero('c', 'u', 'o', 'r')}, ${LEDGER_MEASURES.commission} AS m, ${LEDGER_MEASURES.estimated} AS e,
       ${LEDGER_MEASURES.settled} AS s
     FROM ledger_entries_v1 FINAL WHERE ${conditions(q, 'placed_at')}${extra} GROUP BY k, currency`,
  ];
}

/**
 * UTC days are whole rows of the daily rollups: a month is 30 rows per affiliate, not 720 hours
 * of clicks and every order and ledger entry folded with FINAL. Days with versions
 * report_days_v1 has not taken in yet (an export in progress, or one cut short) are read from the
 * versioned tables instead, so the figures are the same either way. Returns the reads and the
 * parameters they add (`stale`).
 */
async function dailyReads(
  ch: ClickHouse,
  q: SummaryQuery,
  params: QueryParams,
  options: QueryOptions,
): Promise<{ reads: string[]; params: QueryParams }> {
  const stale = await ch.query(
    daysWithNewVersions(REPORT_DAYS_THROUGH, ` AND ${conditions(q, 'placed_at')}`),
    params,
    StaleDay,
    options,
  );
  const key = q.groupBy === 'day' ? 'day' : keyExpression(q.groupBy, 'day');
  const fresh = stale.length > 0 ? ' AND day NOT IN {stale:Array(Date)}' : '';
  const reads = [
    `SELECT ${key} AS k, currency, toInt64(sum(clicks)) AS c, toInt64(sum(unique_clicks)) AS u, ${zero('o', 'r', 'm', 'e', 's')}
     FROM click_days_v1 WHERE ${dayConditions(q)} GROUP BY k, currency`,
    `SELECT ${key} AS k, currency, ${zero('c', 'u')}, sum(orders) AS o, sum(revenue_minor) AS r, sum(commission_minor) AS m,
       sum(estimated_minor) AS e, sum(settled_minor) AS s
     FROM report_days_v1 FINAL WHERE ${dayConditions(q)} AND source_rows > 0${fresh} GROUP BY k, currency`,
  ];
  if (stale.length === 0) return { reads, params };
  return {
    reads: [...reads, ...versionedReads(q, " AND toDate(placed_at, 'UTC') IN {stale:Array(Date)}")],
    params: { ...params, stale: stale.map((d) => d.day) },
  };
}

/** Clicks from the hourly rollup (whole-hour zones) or the raw clicks; orders and commission unrolled. */
function hourlyReads(q: SummaryQuery, rollup: boolean): string[] {
  const clicks = rollup
    ? `SELECT ${keyExpression(q.groupBy, 'hour')} AS k, currency, toInt64(sum(clicks)) AS c, toInt64(sum(unique_clicks)) AS u,
         ${zero('o', 'r', 'm', 'e', 's')}
       FROM click_hours_v1 WHERE ${conditions(q, 'hour')} GROUP BY k, currency`
    : `SELECT ${keyExpression(q.groupBy, 'clicked_at')} AS k, currency, toInt64(countIf(is_bot = 0)) AS c,
         toInt64(countIf(is_bot = 0 AND is_unique = 1)) AS u, ${zero('o', 'r', 'm', 'e', 's')}
       FROM clicks_v1 WHERE ${conditions(q, 'clicked_at')} GROUP BY k, currency`;
  return [clicks, ...versionedReads(q)];
}

/**
 * The summary report: clicks from the daily rollup (UTC), the hourly rollup (other whole-hour
 * zones) or the raw clicks (sub-ids, links, half-hour zones); orders and commission from the
 * daily snapshot (UTC) or the latest version of each row (FINAL). Rows are per group key and
 * currency, ordered by key.
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
  const options: QueryOptions = { maxExecutionSeconds: q.maxExecutionSeconds };
  const rollup = q.wholeHourZone && ROLLUP_GROUPS.has(q.groupBy) && q.linkId === null;
  const { reads, params: readParams } =
    rollup && q.tz === 'UTC' ? await dailyReads(ch, q, params, options) : { reads: hourlyReads(q, rollup), params };
  // One statement, so ClickHouse runs the reads in parallel and answers in one round trip.
  // Keys stay in their own types (Date, UInt64) while grouping; only the result becomes text.
  // A row's versions share a partition (placed_at never changes), so FINAL may stay within each.
  const rows = await ch.query(
    `SELECT toString(k) AS key, currency, sum(c) AS c, sum(u) AS u, sum(o) AS o, sum(r) AS r, sum(m) AS m, sum(e) AS e, sum(s) AS s
     FROM (${reads.join(' UNION ALL ')})
     GROUP BY k, currency LIMIT {limit:UInt32}
     SETTINGS do_not_merge_across_partitions_select_final = 1`,
    readParams,
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
