import { type Kysely, sql } from 'kysely';
import type { ClickHouse } from '../clickhouse/clickhouse';
import { clickHouseTime } from '../clickhouse/schema';
import { convertMinor } from '../domain/fx';
import type { Database } from '../store/database';
import { jsonList } from '../store/json-list';
import { refreshReportDays } from './report-days';

/** Rows per block sent to ClickHouse: big blocks are what ClickHouse wants, bounded for memory. */
export const EXPORT_BLOCK = 20_000;

export interface ExportReport {
  clicks: number;
  orders: number;
  ledgerEntries: number;
  blocks: number;
  /** UTC days (YYYY-MM-DD) whose orders or ledger entries were sent, for the after-batch check. */
  days: string[];
  durationMs: number;
}

export type ExportProgress = (stream: 'clicks' | 'outbox', through: number, last: number) => void;

type Stream = 'clicks' | 'outbox';

/**
 * Copies the SQL store's facts to ClickHouse, exactly once in effect (P11): each block's range is
 * written down before it is sent and sent again, under the same deduplication token, until
 * ClickHouse has taken it. Clicks go by id; orders and ledger entries by outbox sequence.
 */
export async function exportToClickHouse(
  db: Kysely<Database>,
  ch: ClickHouse,
  target: string,
  onProgress?: ExportProgress,
): Promise<ExportReport> {
  const started = Date.now();
  const report: ExportReport = { clicks: 0, orders: 0, ledgerEntries: 0, blocks: 0, days: [], durationMs: 0 };
  const days = new Set<string>();

  const lastClick = async () =>
    Number(
      (
        await db
          .selectFrom('clicks')
          .select((eb) => eb.fn.max('id').as('last'))
          .executeTakeFirst()
      )?.last ?? 0,
    );
  const lastSeq = async () =>
    Number(
      (
        await db
          .selectFrom('clickhouse_outbox')
          .select((eb) => eb.fn.max('seq').as('last'))
          .executeTakeFirst()
      )?.last ?? 0,
    );

  await drain(db, target, 'clicks', lastClick, async (from, through) => {
    report.clicks += await sendClicks(db, ch, `${target}:clicks:${from}-${through}`, from, through);
    report.blocks++;
    onProgress?.('clicks', through, await lastClick());
  });
  await adoptTarget(db, target);
  await drain(db, target, 'outbox', lastSeq, async (from, through) => {
    const sent = await sendOutboxBlock(db, ch, `${target}:outbox:${from}-${through}`, from, through);
    report.orders += sent.orders;
    report.ledgerEntries += sent.ledgerEntries;
    for (const day of sent.days) days.add(day);
    report.blocks++;
    onProgress?.('outbox', through, await lastSeq());
  });
  // The daily snapshot the UTC reports read catches up with what was just sent (and with
  // anything an earlier, interrupted export sent): until then those days are read unrolled.
  await refreshReportDays(ch);
  await pruneOutbox(db, await lastSeq());
  report.days = [...days].sort();
  report.durationMs = Date.now() - started;
  return report;
}

/** Outbox rows up to here are deleted: every target known then had taken them. */
const PRUNED_THROUGH = 'clickhouse_outbox_pruned_through';

/**
 * A ClickHouse the store has not exported to starts from the first outbox row, unless rows were
 * pruned already: then every order and ledger entry is queued again for it (the targets that
 * had them get a newer version of the same rows, which changes nothing they report). No
 * transaction (D1 has none): a crash before the last step only queues the rows once more.
 */
async function adoptTarget(db: Kysely<Database>, target: string): Promise<void> {
  const known = await db
    .selectFrom('clickhouse_exports')
    .select('target')
    .where('target', '=', target)
    .where('stream', '=', 'outbox')
    .executeTakeFirst();
  if (known) return;
  const pruned = await db.selectFrom('settings').select('value').where('key', '=', PRUNED_THROUGH).executeTakeFirst();
  let from = 0;
  if (pruned && Number(pruned.value) > 0) {
    from = Number(
      (
        await db
          .selectFrom('clickhouse_outbox')
          .select((eb) => eb.fn.max('seq').as('last'))
          .executeTakeFirst()
      )?.last ?? pruned.value,
    );
    await db
      .insertInto('clickhouse_outbox')
      .columns(['stream', 'row_id'])
      .expression(
        db
          .selectFrom('orders')
          .select([sql.lit('order').as('stream'), 'id'])
          .orderBy('id'),
      )
      .execute();
    await db
      .insertInto('clickhouse_outbox')
      .columns(['stream', 'row_id'])
      .expression(
        db
          .selectFrom('ledger_entries')
          .select([sql.lit('ledger').as('stream'), 'id'])
          .orderBy('id'),
      )
      .execute();
  }
  await db
    .insertInto('clickhouse_exports')
    .values({ target, stream: 'outbox', exported_through: from })
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/**
 * Deletes the outbox rows every known target has taken, so the outbox stays the size of the
 * backlog. The mark is written first: a crash between the two leaves rows a new target would
 * re-queue anyway, never a pruned history nobody knows of. The newest row always stays: the
 * sequence is max(seq) + 1 (no AUTOINCREMENT, migration 0012), and an emptied outbox would
 * number new rows below what the targets have taken, which they would then never read.
 */
async function pruneOutbox(db: Kysely<Database>, newest: number): Promise<void> {
  const row = await db
    .selectFrom('clickhouse_exports')
    .select((eb) => eb.fn.min('exported_through').as('through'))
    .where('stream', '=', 'outbox')
    .executeTakeFirst();
  const through = Math.min(Number(row?.through ?? 0), newest - 1);
  if (through <= 0) return;
  await db
    .insertInto('settings')
    .values({ key: PRUNED_THROUGH, value: String(through) })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: String(through) }))
    .execute();
  await db.deleteFrom('clickhouse_outbox').where('seq', '<=', through).execute();
}

async function drain(
  db: Kysely<Database>,
  target: string,
  stream: Stream,
  last: () => Promise<number>,
  send: (from: number, through: number) => Promise<void>,
): Promise<void> {
  await db
    .insertInto('clickhouse_exports')
    .values({ target, stream, exported_through: 0 })
    .onConflict((oc) => oc.doNothing())
    .execute();
  for (;;) {
    const state = await db
      .selectFrom('clickhouse_exports')
      .selectAll()
      .where('target', '=', target)
      .where('stream', '=', stream)
      .executeTakeFirstOrThrow();
    let from = state.pending_from;
    let through = state.pending_through;
    if (from === null || through === null) {
      const end = await last();
      if (end <= state.exported_through) return;
      from = state.exported_through + 1;
      through = Math.min(end, state.exported_through + EXPORT_BLOCK);
      await db
        .updateTable('clickhouse_exports')
        .set({ pending_from: from, pending_through: through })
        .where('target', '=', target)
        .where('stream', '=', stream)
        .execute();
    }
    await send(from, through);
    await db
      .updateTable('clickhouse_exports')
      .set({ exported_through: through, pending_from: null, pending_through: null })
      .where('target', '=', target)
      .where('stream', '=', stream)
      .execute();
  }
}

async function sendClicks(db: Kysely<Database>, ch: ClickHouse, token: string, from: number, through: number): Promise<number> {
  const rows = await db
    .selectFrom('clicks')
    .innerJoin('programs', 'programs.id', 'clicks.program_id')
    .select([
      'clicks.click_id',
      'clicks.clicked_at',
      'clicks.program_id',
      'clicks.affiliate_id',
      'clicks.link_id',
      'programs.currency',
      'clicks.is_bot',
      'clicks.is_unique',
      'clicks.country',
      'clicks.device',
      'clicks.browser',
      'clicks.os',
      'clicks.referer_host',
      'clicks.paid_search_param',
      'clicks.sub1',
      'clicks.sub2',
      'clicks.sub3',
      'clicks.sub4',
      'clicks.sub5',
    ])
    .where('clicks.id', '>=', from)
    .where('clicks.id', '<=', through)
    .orderBy('clicks.id')
    .execute();
  await ch.insert(
    'clicks_v1',
    rows.map(({ paid_search_param, ...r }) => ({
      ...r,
      paid_search: paid_search_param ?? '',
      clicked_at: clickHouseTime(r.clicked_at),
      sub1: r.sub1 ?? '',
      sub2: r.sub2 ?? '',
      sub3: r.sub3 ?? '',
      sub4: r.sub4 ?? '',
      sub5: r.sub5 ?? '',
    })),
    token,
  );
  return rows.length;
}

/** The newest outbox sequence of each row in the block: the version ClickHouse keeps. */
async function versionsInBlock(db: Kysely<Database>, from: number, through: number, stream: 'order' | 'ledger') {
  const rows = await db
    .selectFrom('clickhouse_outbox')
    .select(['row_id', (eb) => eb.fn.max('seq').as('version')])
    .where('seq', '>=', from)
    .where('seq', '<=', through)
    .where('stream', '=', stream)
    .groupBy('row_id')
    .execute();
  return new Map(rows.map((r) => [r.row_id, Number(r.version)]));
}

const clickDimensions = [
  'clicks.country',
  'clicks.device',
  'clicks.browser',
  'clicks.os',
  'clicks.sub1',
  'clicks.sub2',
  'clicks.sub3',
  'clicks.sub4',
  'clicks.sub5',
] as const;

interface ClickDims {
  country: string | null;
  device: string | null;
  browser: string | null;
  os: string | null;
  sub1: string | null;
  sub2: string | null;
  sub3: string | null;
  sub4: string | null;
  sub5: string | null;
}

/** An order's report dimensions are its click's; a coupon-attributed order has none. */
function dims(r: ClickDims) {
  return {
    country: r.country ?? '',
    device: r.device ?? '',
    browser: r.browser ?? '',
    os: r.os ?? '',
    sub1: r.sub1 ?? '',
    sub2: r.sub2 ?? '',
    sub3: r.sub3 ?? '',
    sub4: r.sub4 ?? '',
    sub5: r.sub5 ?? '',
  };
}

/** Sales kept after refunds, in the program's currency when the order's rate is pinned. */
function revenue(r: {
  status: string;
  revenue_minor: number;
  refunded_minor: number;
  currency: string;
  program_currency: string;
  fx_rate: string | null;
}): { revenue_minor: number; currency: string } {
  const kept = r.status === 'cancelled' ? 0 : Math.max(0, r.revenue_minor - r.refunded_minor);
  if (r.currency === r.program_currency) return { revenue_minor: kept, currency: r.currency };
  if (r.fx_rate === null) return { revenue_minor: kept, currency: r.currency };
  return { revenue_minor: convertMinor(kept, r.currency, r.program_currency, r.fx_rate), currency: r.program_currency };
}

async function sendOutboxBlock(db: Kysely<Database>, ch: ClickHouse, token: string, from: number, through: number) {
  const days = new Set<string>();
  const orderVersions = await versionsInBlock(db, from, through, 'order');
  const ledgerVersions = await versionsInBlock(db, from, through, 'ledger');
  const orderRows = [];
  for (const ids of chunks([...orderVersions.keys()])) {
    const rows = await db
      .selectFrom('orders')
      .innerJoin('programs', 'programs.id', 'orders.program_id')
      .leftJoin('clicks', 'clicks.click_id', 'orders.click_id')
      .select([
        'orders.id',
        'orders.external_id',
        'orders.program_id',
        'orders.affiliate_id',
        'orders.link_id',
        'orders.click_id',
        'orders.coupon_code',
        'orders.attribution_method',
        'orders.placed_at',
        'orders.status',
        'orders.revenue_minor',
        'orders.refunded_minor',
        'orders.currency',
        'orders.fx_rate',
        'programs.currency as program_currency',
        ...clickDimensions,
      ])
      .where('orders.id', 'in', jsonList(ids))
      .execute();
    for (const r of rows) {
      days.add(r.placed_at.slice(0, 10));
      orderRows.push({
        order_id: r.id,
        version: orderVersions.get(r.id)!,
        external_id: r.external_id,
        program_id: r.program_id,
        affiliate_id: r.affiliate_id ?? 0,
        link_id: r.link_id ?? 0,
        click_id: r.click_id ?? '',
        coupon_code: r.coupon_code ?? '',
        attribution_method: r.attribution_method,
        placed_at: clickHouseTime(r.placed_at),
        status: r.status,
        ...revenue(r),
        ...dims(r),
      });
    }
  }
  await ch.insert('orders_v1', orderRows, `${token}:orders`);

  const ledgerRows = [];
  for (const ids of chunks([...ledgerVersions.keys()])) {
    const rows = await db
      .selectFrom('ledger_entries')
      // LEFT: a manual adjustment may name no order; it is dated by its creation, with no link.
      .leftJoin('orders', 'orders.id', 'ledger_entries.order_id')
      .leftJoin('clicks', 'clicks.click_id', 'orders.click_id')
      .select([
        'ledger_entries.id',
        'ledger_entries.entry_id',
        'ledger_entries.order_id',
        'ledger_entries.program_id',
        'ledger_entries.affiliate_id',
        'orders.link_id',
        'orders.affiliate_id as order_affiliate_id',
        'orders.placed_at',
        'ledger_entries.created_at',
        'ledger_entries.kind',
        'ledger_entries.status',
        'ledger_entries.amount_minor',
        'ledger_entries.currency',
        ...clickDimensions,
      ])
      .where('ledger_entries.id', 'in', jsonList(ids))
      .execute();
    for (const r of rows) {
      const placedAt = r.placed_at ?? r.created_at;
      days.add(placedAt.slice(0, 10));
      // A recruiter's override is earned on its recruit's order: the recruit's link and
      // sub-ids are the recruit's own, not the recruiter's to read.
      const own = r.affiliate_id === r.order_affiliate_id;
      ledgerRows.push({
        entry_id: r.entry_id,
        version: ledgerVersions.get(r.id)!,
        order_id: r.order_id ?? 0,
        program_id: r.program_id,
        affiliate_id: r.affiliate_id,
        link_id: own ? (r.link_id ?? 0) : 0,
        placed_at: clickHouseTime(placedAt),
        created_at: clickHouseTime(r.created_at),
        kind: r.kind,
        status: r.status,
        amount_minor: r.amount_minor,
        currency: r.currency,
        ...dims(r),
        ...(own ? {} : { sub1: '', sub2: '', sub3: '', sub4: '', sub5: '' }),
      });
    }
  }
  await ch.insert('ledger_entries_v1', ledgerRows, `${token}:ledger`);
  return { orders: orderRows.length, ledgerEntries: ledgerRows.length, days };
}

/** Bounded blocks of ids, for memory. */
function chunks<T>(items: T[], size = 5000): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Outbox rows not yet in ClickHouse: changes in flight, which explain a momentary difference. */
export async function changesInFlight(db: Kysely<Database>, target: string): Promise<number> {
  const row = await db
    .selectFrom('clickhouse_exports')
    .select('exported_through')
    .where('target', '=', target)
    .where('stream', '=', 'outbox')
    .executeTakeFirst();
  const result = await sql<{
    n: number;
  }>`SELECT count(*) AS n FROM clickhouse_outbox WHERE seq > ${row?.exported_through ?? 0}`.execute(db);
  return Number(result.rows[0]?.n ?? 0);
}
