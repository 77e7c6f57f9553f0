import { z } from 'zod';
import type { ClickHouse } from '../clickhouse/clickhouse';
import { clickHouseTime } from '../clickhouse/schema';
import { dayAfter, startOfDay } from '../domain/calendar';
import { LEDGER_MEASURES, ORDER_FILTER, ORDER_MEASURES, zero } from './report-measures';

export const StaleDay = z.object({ day: z.string(), top: z.string() });
const Through = z.object({ through: z.string() });

/** The highest order or ledger version report_days_v1 has taken in (0: none yet). */
export const REPORT_DAYS_THROUGH = '(SELECT max(through) FROM report_days_through_v1)';

/**
 * The UTC days with order or ledger versions above `above` (SQL: a bound parameter or
 * REPORT_DAYS_THROUGH), each with its highest such version, among the rows `where` keeps. What
 * the refresh recomputes and what a report reads unrolled are the same days by this one query.
 */
export function daysWithNewVersions(above: string, where = ''): string {
  return `SELECT toString(toDate(placed_at, 'UTC')) AS day, toString(max(version)) AS top FROM (
      SELECT placed_at, version FROM orders_v1 WHERE version > ${above}${where}
      UNION ALL SELECT placed_at, version FROM ledger_entries_v1 WHERE version > ${above}${where})
    GROUP BY day ORDER BY day`;
}

/**
 * Recomputes report_days_v1 for the UTC days that received order or ledger versions since the
 * last run, from the latest version of every row of those days (FINAL), then moves the mark.
 * Idempotent, and safe to cut anywhere: until the mark moves, reports read those days from the
 * versioned tables. Returns the days recomputed.
 */
export async function refreshReportDays(ch: ClickHouse): Promise<string[]> {
  const [mark] = await ch.query(`SELECT toString(${REPORT_DAYS_THROUGH}) AS through`, {}, Through);
  const through = mark?.through ?? '0';
  const stale = await ch.query(daysWithNewVersions('{through:UInt64}'), { through }, StaleDay);
  if (stale.length === 0) return [];
  const days = stale.map((s) => s.day);
  const top = stale.reduce((max, s) => (BigInt(s.top) > BigInt(max) ? s.top : max), through);
  // placed_at never changes, so the day's rows lie in its placed_at range: the key narrows the read.
  const range = `placed_at >= toDateTime64({first:String}, 3, 'UTC') AND placed_at < toDateTime64({until:String}, 3, 'UTC')
    AND toDate(placed_at, 'UTC') IN {days:Array(Date)}`;
  await ch.command(
    `INSERT INTO report_days_v1 (day, program_id, affiliate_id, currency, version, source_rows, orders, revenue_minor, commission_minor,
       estimated_minor, settled_minor)
     SELECT day, program_id, affiliate_id, currency, {top:UInt64}, sum(n), sum(o), sum(r), sum(m), sum(e), sum(s) FROM (
       SELECT toDate(placed_at, 'UTC') AS day, program_id, affiliate_id, currency, count() AS n,
         ${ORDER_MEASURES.orders} AS o, ${ORDER_MEASURES.revenue} AS r, ${zero('m', 'e', 's')}
       FROM orders_v1 FINAL WHERE ${ORDER_FILTER} AND ${range} GROUP BY day, program_id, affiliate_id, currency
       UNION ALL
       SELECT toDate(placed_at, 'UTC') AS day, program_id, affiliate_id, currency, count() AS n,
         ${zero('o', 'r')}, ${LEDGER_MEASURES.commission} AS m, ${LEDGER_MEASURES.estimated} AS e, ${LEDGER_MEASURES.settled} AS s
       FROM ledger_entries_v1 FINAL WHERE ${range} GROUP BY day, program_id, affiliate_id, currency
       UNION ALL
       -- Every group the day had: one that no longer has rows becomes source_rows = 0, not a stale total.
       SELECT day, program_id, affiliate_id, currency, toUInt64(0) AS n, ${zero('o', 'r', 'm', 'e', 's')}
       FROM report_days_v1 FINAL WHERE day IN {days:Array(Date)} AND source_rows > 0)
     GROUP BY day, program_id, affiliate_id, currency
     SETTINGS do_not_merge_across_partitions_select_final = 1`,
    { top, days, first: clickHouseTime(startOfDay(days[0]!)), until: clickHouseTime(dayAfter(days.at(-1)!)) },
  );
  await ch.command('INSERT INTO report_days_through_v1 (through, at) VALUES ({top:UInt64}, now64(3))', { top });
  return days;
}
