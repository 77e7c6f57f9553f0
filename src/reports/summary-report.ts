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

/** The most rows one page of a report holds; `next` reads the rest. */
export const MAX_REPORT_PAGE_ROWS = 5000;

/** Where the previous page ended: its last group key (as text) and currency, for the groupBy it was made by. */
export interface ReportCursor {
  groupBy: GroupBy;
  key: string;
  currency: string;
}

export interface ReportPage {
  limit: number;
  after: ReportCursor | null;
}

const ID_GROUPS = new Set<GroupBy>(['affiliate', 'program', 'link']);

/**
 * A cursor's key back in the group key's own type, so the page boundary compares as the rows
 * are ordered (days as dates, ids as numbers, the rest as bytes). A key that cannot be of that
 * type is refused before it reaches ClickHouse, where a failed cast would be a 5xx.
 */
function cursorKey(cursor: ReportCursor): string | undefined {
  if (cursor.groupBy === 'day') return /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(cursor.key) ? 'toDate({afterKey:String})' : undefined;
  if (ID_GROUPS.has(cursor.groupBy)) return /^[0-9]{1,15}$/.test(cursor.key) ? 'toUInt64({afterKey:String})' : undefined;
  return '{afterKey:String}';
}

export class ReportCursorError extends Error {
  override name = 'ReportCursorError';
}

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
  clicks: count,
  uniques: count,
  orders: count,
  revenue: count,
  commission: count,
  estimated: count,
  settled: count,
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
 * currency, ordered by key (in its own type) and currency, a page at a time: `next` is where
 * the following page starts, null on the last. A group with nothing in it (every count and
 * amount zero, such as the empty country of clicks only bots made) is not a row.
 */
export async function summaryReport(
  ch: ClickHouse,
  q: SummaryQuery,
  page: ReportPage = { limit: MAX_REPORT_PAGE_ROWS, after: null },
): Promise<{ rows: ReportRow[]; next: ReportCursor | null }> {
  if (q.programIds !== null && q.programIds.length === 0) return { rows: [], next: null };
  let boundary = '';
  if (page.after !== null) {
    const key = page.after.groupBy === q.groupBy ? cursorKey(page.after) : undefined;
    if (key === undefined) throw new ReportCursorError('after: not a cursor of this report (pass the previous page\'s next)');
    boundary = ` AND (k, currency) > (${key}, {afterCurrency:String})`;
  }
  const params: QueryParams = {
    from: `${q.from} 00:00:00`,
    until: `${dayAfter(q.to).slice(0, 10)} 00:00:00`,
    tz: q.tz,
    limit: page.limit + 1,
    ...(q.programIds !== null ? { programs: q.programIds } : {}),
    ...(q.affiliateId !== null ? { affiliate: q.affiliateId } : {}),
    ...(q.linkId !== null ? { link: q.linkId } : {}),
    ...(page.after !== null ? { afterKey: page.after.key, afterCurrency: page.after.currency } : {}),
  };
  const options: QueryOptions = { maxExecutionSeconds: q.maxExecutionSeconds };
  const rollup = q.wholeHourZone && ROLLUP_GROUPS.has(q.groupBy) && q.linkId === null;
  const { reads, params: readParams } =
    rollup && q.tz === 'UTC' ? await dailyReads(ch, q, params, options) : { reads: hourlyReads(q, rollup), params };
  // One statement, so ClickHouse runs the reads in parallel and answers in one round trip.
  // Keys stay in their own types (Date, UInt64) while grouping and ordering; only the result
  // becomes text. A row's versions share a partition (placed_at never changes), so FINAL may
  // stay within each. One row past the page says whether there is a next one.
  const rows = await ch.query(
    `SELECT toString(k) AS key, currency, sum(c) AS clicks, sum(u) AS uniques, sum(o) AS orders, sum(r) AS revenue,
       sum(m) AS commission, sum(e) AS estimated, sum(s) AS settled
     FROM (${reads.join(' UNION ALL ')})
     GROUP BY k, currency
     HAVING NOT (clicks = 0 AND uniques = 0 AND orders = 0 AND revenue = 0 AND commission = 0 AND estimated = 0 AND settled = 0)${boundary}
     ORDER BY k, currency
     LIMIT {limit:UInt32}
     SETTINGS do_not_merge_across_partitions_select_final = 1`,
    readParams,
    TotalsRow,
    options,
  );
  const more = rows.length > page.limit;
  const kept = more ? rows.slice(0, page.limit) : rows;
  const last = kept[kept.length - 1];
  return {
    rows: kept.map((r) =>
      reportRow(r.key, r.currency, {
        clicks: r.clicks,
        uniqueClicks: r.uniques,
        orders: r.orders,
        revenueMinor: r.revenue,
        commissionMinor: r.commission,
        estimatedMinor: r.estimated,
        settledMinor: r.settled,
      }),
    ),
    next: more && last ? { groupBy: q.groupBy, key: last.key, currency: last.currency } : null,
  };
}
