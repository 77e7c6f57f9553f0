import { sql } from 'kysely';
import { stringify } from 'csv-stringify/sync';
import type { AppDeps } from '../core/deps';
import type { Principal } from '../core/principal';
import { timeSlice } from '../core/time-slice';
import { dayAfter, startOfDay } from '../domain/calendar';
import { neutralizeCell } from '../domain/csv-cell';
import { formatId } from '../domain/ids';
import type { LedgerKind, LedgerStatus } from '../domain/ledger';
import { ledgerEntryView } from '../domain/resource-views';

export interface CommissionFilter {
  programId?: number | undefined;
  affiliateId?: number | undefined;
  orderId?: string | undefined;
  status?: LedgerStatus | undefined;
  kind?: LedgerKind | undefined;
  currency?: string | undefined;
  /** Which date from/to bound: the entry's own (created) or its order's lock date. */
  dateBy?: 'entry' | 'lock' | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

/**
 * When an entry's order leaves its lock period: completion plus the program's lock days, as the
 * batch decides it (`orderStanding`); null while the order is not completed. SQLite and D1 both
 * read the ISO instant with its Z and add the days in UTC.
 */
const lockDate = sql<string | null>`case when o.completed_at is null then null else strftime('%Y-%m-%dT%H:%M:%fZ', o.completed_at, '+' || p.lock_days || ' days') end`;

function entriesQuery(deps: Pick<AppDeps, 'db'>, principal: Principal, filter: CommissionFilter) {
  let query = deps.db
    .selectFrom('ledger_entries as e')
    .innerJoin('orders as o', 'o.id', 'e.order_id')
    .innerJoin('programs as p', 'p.id', 'e.program_id')
    .selectAll('e')
    .select(['o.external_id as order_external_id', lockDate.as('lock_date')])
    .orderBy('e.id');
  // Scope first: whatever the filters say, a tenant reads only its own rows.
  if (principal.role === 'merchant') query = query.where('p.merchant_id', '=', principal.merchantId!);
  if (principal.role === 'affiliate') query = query.where('e.affiliate_id', '=', principal.affiliateId!);
  if (filter.programId !== undefined) query = query.where('e.program_id', '=', filter.programId);
  if (filter.affiliateId !== undefined) query = query.where('e.affiliate_id', '=', filter.affiliateId);
  if (filter.orderId !== undefined) query = query.where('o.external_id', '=', filter.orderId);
  if (filter.status !== undefined) query = query.where('e.status', '=', filter.status);
  if (filter.kind !== undefined) query = query.where('e.kind', '=', filter.kind);
  if (filter.currency !== undefined) query = query.where('e.currency', '=', filter.currency);
  if (filter.from !== undefined || filter.to !== undefined) {
    const date = filter.dateBy === 'lock' ? lockDate : sql<string>`e.created_at`;
    if (filter.from !== undefined) query = query.where(date, '>=', startOfDay(filter.from));
    if (filter.to !== undefined) query = query.where(date, '<', dayAfter(filter.to));
  }
  return query;
}

type EntryRow = Awaited<ReturnType<ReturnType<typeof entriesQuery>['execute']>>[number];

/** One ledger entry as the commission list shows it: the order's detail view plus where it stands. */
function commissionView(row: EntryRow) {
  return {
    ...ledgerEntryView(row),
    orderId: row.order_external_id,
    programId: formatId('program', row.program_id),
    lockDate: row.lock_date,
    statusChangedAt: row.status_changed_at,
  };
}

export type CommissionView = ReturnType<typeof commissionView>;

/**
 * Ledger entries a page at a time, oldest first, keyset-paged on the entry's row id like the
 * orders list: `next` is the last id of a full page. Merchants read their programs' entries,
 * affiliates their own (no customer field is in an entry), finance and admin all of them.
 */
export async function listCommissions(
  deps: Pick<AppDeps, 'db'>,
  principal: Principal,
  filter: CommissionFilter,
  page: { limit: number; after?: number | undefined },
) {
  let query = entriesQuery(deps, principal, filter).limit(page.limit);
  if (page.after !== undefined) query = query.where('e.id', '>', page.after);
  const rows = await query.execute();
  return {
    commissions: rows.map(commissionView),
    next: rows.length === page.limit ? String(rows[rows.length - 1]!.id) : null,
  };
}

export const COMMISSION_CSV_COLUMNS = [
  'id',
  'orderId',
  'programId',
  'affiliateId',
  'slot',
  'kind',
  'status',
  'amount',
  'currency',
  'base',
  'rate',
  'rule',
  'planVersion',
  'lockDate',
  'createdAt',
  'statusChangedAt',
  'explanation',
] as const;

function csvRecord(v: CommissionView): (string | number | null)[] {
  return [
    neutralizeCell(v.id),
    neutralizeCell(v.orderId),
    v.programId,
    v.affiliateId,
    neutralizeCell(v.slot),
    v.kind,
    v.status,
    v.amount,
    v.currency,
    v.base,
    v.rate,
    neutralizeCell(v.rule),
    v.planVersion,
    v.lockDate,
    v.createdAt,
    v.statusChangedAt,
    neutralizeCell(v.explanation),
  ];
}

/**
 * Every matching entry (from `after` on) as CSV, read a page at a time after the last id of the
 * page before, so a deep file costs the same per page and the event loop gets a turn between them.
 */
export function commissionsCsvStream(
  deps: Pick<AppDeps, 'db'>,
  principal: Principal,
  filter: CommissionFilter,
  after: number | undefined,
  pageSize = 1000,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let cursor = after;
  let headerSent = false;
  const slice = timeSlice();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      await slice.pause();
      let query = entriesQuery(deps, principal, filter).limit(pageSize);
      if (cursor !== undefined) query = query.where('e.id', '>', cursor);
      const rows = await query.execute();
      const text = stringify(
        rows.map((r) => csvRecord(commissionView(r))),
        { header: !headerSent, columns: [...COMMISSION_CSV_COLUMNS], record_delimiter: '\r\n' },
      );
      headerSent = true;
      if (text) controller.enqueue(encoder.encode(text));
      if (rows.length < pageSize) controller.close();
      else cursor = rows[rows.length - 1]!.id;
    },
  });
}
