import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import type { ClickHouse } from '../clickhouse/clickhouse';
import { dayAfter, startOfDay } from '../domain/calendar';
import type { Database } from '../store/database';
import { changesInFlight } from './clickhouse-export';
import { jsonList } from '../store/json-list';

export interface ReconciliationQuery {
  programIds: number[];
  /** UTC dates, both included; days are the orders' UTC dates, as in the ledger's export. */
  from: string;
  to: string;
}

export interface LedgerComparison {
  programId: number;
  day: string;
  status: string;
  currency: string;
  sqlMinor: number;
  sqlEntries: number;
  clickhouseMinor: number;
  clickhouseEntries: number;
  matches: boolean;
}

export interface UnattributedClicks {
  programId: number;
  day: string;
  reason: string;
  orders: number;
}

export interface Reconciliation {
  ledger: LedgerComparison[];
  mismatches: number;
  /** Changes the SQL store holds that are not exported yet: a difference they explain is not an error. */
  changesInFlight: number;
  unattributedClicks: UnattributedClicks[];
}

const ClickHouseTotals = z.object({
  program_id: z.coerce.number(),
  day: z.string(),
  status: z.string(),
  currency: z.string(),
  minor: z.coerce.number(),
  entries: z.coerce.number(),
});

/**
 * Ledger totals per (program, day, status) in the SQL store against ClickHouse (P11), and the
 * orders the shop sent with a click id that did not attribute, by reason.
 */
export async function reconcile(
  db: Kysely<Database>,
  ch: ClickHouse,
  target: string,
  q: ReconciliationQuery,
): Promise<Reconciliation> {
  if (q.programIds.length === 0) return { ledger: [], mismatches: 0, changesInFlight: 0, unattributedClicks: [] };
  const inFlight = await changesInFlight(db, target);
  const placedAt = sql<string>`coalesce(orders.placed_at, ledger_entries.created_at)`;
  const sqlTotals = await db
    .selectFrom('ledger_entries')
    // A manual adjustment on no order is dated by its own creation, as the export dates it.
    .leftJoin('orders', 'orders.id', 'ledger_entries.order_id')
    .select((eb) => [
      'ledger_entries.program_id',
      eb.fn<string>('substr', [placedAt, eb.val(1), eb.val(10)]).as('day'),
      'ledger_entries.status',
      'ledger_entries.currency',
      eb.fn.sum<number>('ledger_entries.amount_minor').as('minor'),
      eb.fn.countAll<number>().as('entries'),
    ])
    .where('ledger_entries.program_id', 'in', jsonList(q.programIds))
    .where(placedAt, '>=', startOfDay(q.from))
    .where(placedAt, '<', dayAfter(q.to))
    .groupBy(['ledger_entries.program_id', 'day', 'ledger_entries.status', 'ledger_entries.currency'])
    .execute();
  const chTotals = await ch.query(
    `SELECT program_id, toString(toDate(placed_at)) AS day, status, currency, sum(amount_minor) AS minor, count() AS entries
     FROM ledger_entries_v1 FINAL
     WHERE program_id IN {programs:Array(UInt64)}
       AND placed_at >= toDateTime64({from:String}, 3, 'UTC') AND placed_at < toDateTime64({until:String}, 3, 'UTC')
     GROUP BY program_id, day, status, currency`,
    { programs: q.programIds, from: `${q.from} 00:00:00`, until: `${dayAfter(q.to).slice(0, 10)} 00:00:00` },
    ClickHouseTotals,
  );

  const rows = new Map<string, LedgerComparison>();
  const at = (programId: number, day: string, status: string, currency: string) => {
    const id = `${programId}|${day}|${status}|${currency}`;
    let row = rows.get(id);
    if (!row) {
      row = {
        programId,
        day,
        status,
        currency,
        sqlMinor: 0,
        sqlEntries: 0,
        clickhouseMinor: 0,
        clickhouseEntries: 0,
        matches: true,
      };
      rows.set(id, row);
    }
    return row;
  };
  for (const r of sqlTotals)
    Object.assign(at(r.program_id, r.day, r.status, r.currency), { sqlMinor: Number(r.minor), sqlEntries: Number(r.entries) });
  for (const r of chTotals)
    Object.assign(at(r.program_id, r.day, r.status, r.currency), { clickhouseMinor: r.minor, clickhouseEntries: r.entries });
  const ledger = [...rows.values()]
    .map((r) => ({ ...r, matches: r.sqlMinor === r.clickhouseMinor && r.sqlEntries === r.clickhouseEntries }))
    .sort(
      (a, b) =>
        a.programId - b.programId ||
        a.day.localeCompare(b.day) ||
        a.status.localeCompare(b.status) ||
        a.currency.localeCompare(b.currency),
    );

  const unattributed = await db
    .selectFrom('orders')
    .select((eb) => [
      'program_id',
      eb.fn<string>('substr', ['placed_at', eb.val(1), eb.val(10)]).as('day'),
      'attribution_reason',
      eb.fn.countAll<number>().as('orders'),
    ])
    .where('program_id', 'in', jsonList(q.programIds))
    .where('placed_at', '>=', startOfDay(q.from))
    .where('placed_at', '<', dayAfter(q.to))
    .where('attribution_method', '=', 'none')
    .where('attribution_reason', 'like', 'click_%')
    .groupBy(['program_id', 'day', 'attribution_reason'])
    .orderBy('program_id')
    .orderBy('day')
    .orderBy('attribution_reason')
    .execute();

  return {
    ledger,
    mismatches: ledger.filter((r) => !r.matches).length,
    changesInFlight: inFlight,
    unattributedClicks: unattributed.map((r) => ({
      programId: r.program_id,
      day: r.day,
      reason: r.attribution_reason.slice('click_'.length),
      orders: Number(r.orders),
    })),
  };
}
