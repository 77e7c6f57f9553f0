import { type CompiledQuery, type Kysely, type Selectable, sql } from 'kysely';
import type { FxRate } from '../domain/fx';
import { type ExistingEntry, type LedgerChanges, orderStanding, planLedgerChanges, type TargetComponent } from '../domain/ledger';
import type { AtomicWrites } from '../store/atomic-writes';
import { jsonList } from '../store/json-list';
import type { RowReader } from '../store/row-reader';
import type { Database, LedgerStatus } from '../store/database';
import { type AffiliateMonth, affiliateMonths, inAffiliateMonth, monthKey, monthSales, type SalesPosition } from './month-sales';
import { EVALUATED_ORDER_COLUMNS, evaluateOrder, loadReference, type EvaluatedOrder, type Reference } from './order-commission';

/**
 * The commission batch: brings the ledger up to date with the orders as of `asOf`. It never
 * reads the clock. Every entry is the difference between what an order now earns and what its
 * entries already sum to, under a deterministic id, so running it twice, or again after a crash
 * half-way, appends nothing new (P9).
 *
 * The unit of work is an affiliate's month in a program: tiers depend on the sales earlier in
 * the month, so a change to one order can move the rate of every later one. Groups are read and
 * written in chunks (a few queries and one atomic unit of writes per chunk), not order by order.
 */
export interface BatchReport {
  asOf: string;
  ordersExamined: number;
  ordersChanged: number;
  entriesAppended: number;
  statusChanges: number;
  skippedOtherCurrency: number;
  /** The currency pairs those orders wait for (order currency → program currency), and how many wait for each. */
  waitingForRate: { from: string; to: string; orders: number }[];
  watermark: string;
  durationMs: number;
}

export type BatchProgress = (done: number, total: number) => void;

/** The store as the batch uses it: queries, units of writes, and large reads as arrays. */
export interface BatchStore {
  db: Kysely<Database>;
  writes: AtomicWrites;
  rows: RowReader;
}

/**
 * Statuses are computed as of one moment; a run as of an earlier moment than the last one would
 * move approved entries back to pending for the orders it touches, leaving a ledger that mixes
 * two asOfs. Such a run is refused.
 */
export class StaleAsOfError extends Error {
  override name = 'StaleAsOfError';
}

const WATERMARK = 'commission_watermark';
/** The latest asOf the ledger's statuses are computed for: payouts may not look further. */
export const LAST_AS_OF = 'commission_last_as_of';
/** Orders per chunk: enough to amortise each transaction, small enough for bounded memory. */
const CHUNK_ORDERS = 5000;
/** Ids per IN list (one bound JSON value): bounded statements, well under D1's 2 MB per value. */
const IN_LIST = 10_000;
const DAY_MS = 86_400_000;

interface Group extends AffiliateMonth {
  /** Its orders that need a look: changed since the last run, or their lock period ended. */
  lookIds: number[];
}

/** A mapped type, so a row is a plain record for `insertRows`. */
type TierMark = Selectable<Database['commission_tier_marks']>;

interface OrderChanges extends LedgerChanges {
  order: EvaluatedOrder;
  planVersion: number;
  currency: string;
  /** The rate the order was converted at, and whether it is pinned to the order now. */
  fx?: FxRate & { pin: boolean };
}

/** An order to evaluate, with where it stands among its month's sales (tiered programs only). */
interface OrderInView {
  order: EvaluatedOrder;
  sales?: SalesPosition;
}

/** What the orders need appended and re-statused, computed in memory. */
function settleOrders(
  ref: Reference,
  orders: OrderInView[],
  entries: Map<number, ExistingEntry[]>,
  asOfMs: number,
  report: BatchReport,
) {
  const out: OrderChanges[] = [];
  const marks: TierMark[] = [];
  for (const { order, sales } of orders) {
    report.ordersExamined++;
    const evaluation = evaluateOrder(ref, order, sales?.before ?? 0);
    if (evaluation.kind === 'no_rate') {
      // No rate stored for the day it was placed: the order waits, visibly counted.
      report.skippedOtherCurrency++;
      const pair = report.waitingForRate.find((p) => p.from === evaluation.from && p.to === evaluation.to);
      if (pair) pair.orders++;
      else report.waitingForRate.push({ from: evaluation.from, to: evaluation.to, orders: 1 });
      continue;
    }
    if (sales && (sales.mark?.before !== sales.before || sales.mark.kept !== evaluation.keptMinor)) {
      marks.push({
        affiliate_id: order.affiliate_id!,
        program_id: order.program_id,
        placed_at: order.placed_at,
        order_id: order.id,
        month_sales_before_minor: sales.before,
        kept_minor: evaluation.keptMinor,
      });
    }
    if (evaluation.kind === 'no_plan') continue;
    const affiliateId = order.affiliate_id!;
    const parentId = ref.parents.get(affiliateId) ?? null;
    const targets: TargetComponent[] = evaluation.components.map((c) => ({
      ...c,
      affiliateId: c.beneficiary === 'parent' ? parentId! : affiliateId,
    }));
    const program = ref.programs.get(order.program_id)!;
    const standing = orderStanding(
      {
        status: order.status,
        completedAt: order.completed_at,
        held: order.held === 1,
        review: order.review,
        lockDays: program.lockDays,
      },
      asOfMs,
    );
    const changes = planLedgerChanges(order.id, entries.get(order.id) ?? [], targets, standing);
    const { fx } = evaluation;
    if (changes.append.length > 0 || changes.statusChanges.length > 0 || fx?.pin) {
      out.push({ ...changes, order, planVersion: evaluation.planVersion, currency: evaluation.currency, ...(fx ? { fx } : {}) });
    }
  }
  return { changes: out, marks };
}

/**
 * One chunk's writes as a single unit of work: they read nothing back, so SQLite commits them
 * in one transaction and D1 in one batch().
 */
async function writeChanges(
  db: Kysely<Database>,
  writes: AtomicWrites,
  changes: OrderChanges[],
  marks: TierMark[],
  asOf: string,
) {
  const rows = changes.flatMap(({ order, planVersion, append, currency, fx }) =>
    append.map((e) => ({
      entry_id: e.entryId,
      order_id: order.id,
      program_id: order.program_id,
      affiliate_id: e.affiliateId,
      slot: e.slot,
      line_index: e.lineIndex,
      kind: e.kind,
      status: e.status,
      amount_minor: e.amountMinor,
      currency,
      order_currency: order.currency,
      fx_rate: fx?.rate ?? null,
      fx_source: fx?.source ?? null,
      fx_effective_at: fx?.effectiveAt ?? null,
      base_minor: e.baseMinor,
      rate_bp: e.rateBp,
      rule: e.rule,
      plan_version: planVersion,
      explanation: e.explanation,
      as_of: asOf,
      created_at: asOf,
      status_changed_at: asOf,
    })),
  );
  const byStatus = new Map<LedgerStatus, string[]>();
  for (const c of changes) {
    for (const s of c.statusChanges) {
      const ids = byStatus.get(s.status);
      if (ids) ids.push(s.entryId);
      else byStatus.set(s.status, [s.entryId]);
    }
  }
  const statements: CompiledQuery[] = [...writes.insertRows('ledger_entries', rows, { columns: ['entry_id'] })];
  const inserts = statements.length;
  for (const { order, fx } of changes) {
    if (!fx?.pin) continue;
    statements.push(
      db
        .updateTable('orders')
        .set({ fx_rate: fx.rate, fx_source: fx.source, fx_effective_at: fx.effectiveAt })
        .where('id', '=', order.id)
        .where('fx_rate', 'is', null)
        .compile(),
    );
  }
  for (const [status, ids] of byStatus) {
    for (let i = 0; i < ids.length; i += IN_LIST) {
      statements.push(
        db
          .updateTable('ledger_entries')
          .set({ status, status_changed_at: asOf })
          .where('entry_id', 'in', jsonList(ids.slice(i, i + IN_LIST)))
          .compile(),
      );
    }
  }
  statements.push(
    ...writes.insertRows('commission_tier_marks', marks, {
      columns: ['affiliate_id', 'program_id', 'placed_at', 'order_id'],
      update: ['month_sales_before_minor', 'kept_minor'],
    }),
  );
  if (statements.length === 0) return 0;
  const changed = await writes.commit(statements);
  return changed.slice(0, inserts).reduce((n, c) => n + c.changes, 0);
}

async function ordersById(db: Kysely<Database>, ids: readonly number[]) {
  const orders: EvaluatedOrder[] = [];
  for (let i = 0; i < ids.length; i += IN_LIST) {
    orders.push(
      ...(await db
        .selectFrom('orders')
        .select(EVALUATED_ORDER_COLUMNS)
        .where('id', 'in', jsonList(ids.slice(i, i + IN_LIST)))
        .execute()),
    );
  }
  return orders;
}

/**
 * A chunk of affiliate-months: the orders that need a look (changed, or their lock period
 * ended), and in tiered programs also every order the changes moved into another tier
 * (`monthSales`). Only the orders evaluated are read whole.
 */
async function processChunk(
  { db, writes, rows }: BatchStore,
  ref: Reference,
  groups: Group[],
  look: { asOf: string; tiered: number[] },
  report: BatchReport,
) {
  const asOf = look.asOf;
  const asOfMs = Date.parse(asOf);
  const tiered = new Set(look.tiered);
  const looked = await ordersById(
    db,
    groups.flatMap((g) => g.lookIds),
  );
  const { positions, moved } = await monthSales(
    { db, rows },
    ref,
    groups.filter((g) => tiered.has(g.programId)),
    looked.filter((o) => tiered.has(o.program_id)),
  );
  const orders = [...looked, ...(await ordersById(db, moved))];
  if (orders.length === 0) return;
  const inView: OrderInView[] = orders.map((order) => ({ order, sales: positions.get(order.id) }));

  const orderIds = orders.map((o) => o.id);
  const entries = new Map<number, ExistingEntry[]>();
  for (let i = 0; i < orderIds.length; i += IN_LIST) {
    const rows = await db
      .selectFrom('ledger_entries')
      .select(['order_id', 'entry_id', 'slot', 'affiliate_id', 'amount_minor', 'status', 'kind'])
      .select((eb) =>
        eb
          .exists(
            eb
              .selectFrom('payout_entries')
              .select('payout_entries.entry_id')
              .whereRef('payout_entries.entry_id', '=', 'ledger_entries.entry_id')
              .where('payout_entries.active', '=', 1),
          )
          .as('in_payout'),
      )
      .where('order_id', 'in', jsonList(orderIds.slice(i, i + IN_LIST)))
      // A manual adjustment on an order is no part of what the plan says the order earns: the
      // batch neither reverses it nor moves its status (docs/finance.md).
      .where('kind', '!=', 'manual')
      .orderBy('id')
      .execute();
    for (const row of rows) {
      const e = { ...row, order_id: row.order_id! };
      const list = entries.get(e.order_id) ?? [];
      // An entry in a live payout is as good as paid: a later decrease becomes a clawback.
      const status = e.in_payout ? 'paid' : e.status;
      list.push({
        entryId: e.entry_id,
        slot: e.slot,
        affiliateId: e.affiliate_id,
        amountMinor: e.amount_minor,
        status,
        kind: e.kind,
      });
      entries.set(e.order_id, list);
    }
  }
  const { changes, marks } = settleOrders(ref, inView, entries, asOfMs, report);
  if (changes.length === 0 && marks.length === 0) return;
  report.entriesAppended += await writeChanges(db, writes, changes, marks, asOf);
  report.ordersChanged += changes.length;
  report.statusChanges += changes.reduce((n, c) => n + c.statusChanges.length, 0);
}

/**
 * One run of the batch. It does not queue: the caller that could overlap runs (the timer, the
 * admin route, the CLI) goes through runBatchJob (batch-job.ts), the one place runs are queued.
 * The store's `writes` commits each chunk: a SQLite transaction, D1's batch() on Workers.
 */
export function runCommissionBatch(store: BatchStore, asOf: Date, onProgress?: BatchProgress): Promise<BatchReport> {
  return runOnce(store, asOf, onProgress);
}

/**
 * The orders the batch must look at: changed since the last run (>=: one written in the same
 * millisecond as the watermark is looked at again), or with pending entries whose lock period
 * ended by asOf (their status moves with asOf alone). Two index-driven reads, not a scan of
 * every order: by updated_at, and from the pending entries.
 */
async function ordersToLook(db: Kysely<Database>, watermark: string, asOf: string, lastAsOf: string | undefined) {
  const columns = ['orders.id', 'orders.affiliate_id', 'orders.program_id', 'orders.placed_at', 'orders.updated_at'] as const;
  const programs = await db.selectFrom('programs').select(['id', 'lock_days', 'updated_at']).execute();
  // Per program, the completion times whose lock period ends after the last run's asOf and by
  // this one's: every earlier end was looked at by an earlier run. A program changed since the
  // last run (its lock period may have) is looked at from its first completion.
  const windows = programs.map((p) => {
    const lock = p.lock_days * DAY_MS;
    const from = lastAsOf === undefined || p.updated_at > lastAsOf ? '' : new Date(Date.parse(lastAsOf) - lock).toISOString();
    return [p.id, from, new Date(Date.parse(asOf) - lock).toISOString()];
  });
  const [changed, unlocked] = await Promise.all([
    db.selectFrom('orders').select(columns).where('affiliate_id', 'is not', null).where('updated_at', '>=', watermark).execute(),
    db
      .selectFrom(sql<{ value: string }>`json_each(${JSON.stringify(windows)})`.as('w'))
      .crossJoin('orders')
      .select(columns)
      .where(
        sql<boolean>`orders.program_id = json_extract(w.value, '$[0]') AND orders.completed_at > json_extract(w.value, '$[1]')
          AND orders.completed_at <= json_extract(w.value, '$[2]')`,
      )
      .where('orders.affiliate_id', 'is not', null)
      .where((eb) =>
        eb.exists(
          eb
            .selectFrom('ledger_entries')
            .select('ledger_entries.id')
            .whereRef('ledger_entries.order_id', '=', 'orders.id')
            .where('ledger_entries.status', '=', 'pending'),
        ),
      )
      .execute(),
  ]);
  return [...changed, ...unlocked];
}

/** The affiliate-months of the orders to look at, and the time of their latest change. */
function touchedGroups(orders: Awaited<ReturnType<typeof ordersToLook>>) {
  const groups = new Map<
    string,
    { affiliateId: number; programId: number; month: string; lastUpdate: string; lookIds: Set<number> }
  >();
  for (const o of orders) {
    const key = monthKey(o.affiliate_id, o.program_id, o.placed_at);
    let group = groups.get(key);
    if (!group) {
      group = {
        affiliateId: o.affiliate_id!,
        programId: o.program_id,
        month: o.placed_at.slice(0, 7),
        lastUpdate: o.updated_at,
        lookIds: new Set(),
      };
      groups.set(key, group);
    }
    if (o.updated_at > group.lastUpdate) group.lastUpdate = o.updated_at;
    group.lookIds.add(o.id);
  }
  // In order, so a chunk's affiliates, programs and months (its read's filters) span little
  // beyond its own groups.
  return [...groups.values()].sort(
    (a, b) => a.affiliateId - b.affiliateId || a.programId - b.programId || a.month.localeCompare(b.month),
  );
}

async function runOnce(store: BatchStore, asOfDate: Date, onProgress?: BatchProgress): Promise<BatchReport> {
  const { db } = store;
  const started = performance.now();
  const asOf = asOfDate.toISOString();
  const stored = await db.selectFrom('settings').select('value').where('key', '=', WATERMARK).executeTakeFirst();
  const watermark = stored?.value ?? '';
  const lastRun = await db.selectFrom('settings').select('value').where('key', '=', LAST_AS_OF).executeTakeFirst();
  if (lastRun && asOf < lastRun.value)
    throw new StaleAsOfError(`asOf: must not be earlier than the last run's (${lastRun.value})`);
  const report: BatchReport = {
    asOf,
    ordersExamined: 0,
    ordersChanged: 0,
    entriesAppended: 0,
    statusChanges: 0,
    skippedOtherCurrency: 0,
    waitingForRate: [],
    watermark,
    durationMs: 0,
  };
  const touched = touchedGroups(await ordersToLook(db, watermark, asOf, lastRun?.value));
  const ref = await loadReference(db);
  const tiered = [...ref.plans].filter(([, versions]) => versions.some((v) => (v.spec.tiers ?? []).length > 0)).map(([id]) => id);
  // Each touched group's size, so chunks hold a bounded number of orders.
  const size = new Map<string, number>();
  for (let i = 0; i < touched.length; i += IN_LIST) {
    const slice = touched.slice(i, i + IN_LIST);
    const counts = await db
      .selectFrom(affiliateMonths(slice))
      .crossJoin('orders')
      .select(['g.key', (eb) => eb.fn.countAll<number>().as('n')])
      .where(inAffiliateMonth('orders'))
      .groupBy('g.key')
      .execute();
    for (const c of counts) {
      const g = slice[c.key]!;
      size.set(monthKey(g.affiliateId, g.programId, g.month), Number(c.n));
    }
  }
  const groups: Group[] = touched.map((g) => ({
    affiliateId: g.affiliateId,
    programId: g.programId,
    month: g.month,
    orders: size.get(monthKey(g.affiliateId, g.programId, g.month)) ?? 0,
    lookIds: [...g.lookIds],
  }));
  let newWatermark = watermark;
  for (const g of touched) if (g.lastUpdate > newWatermark && g.lastUpdate <= asOf) newWatermark = g.lastUpdate;

  const total = groups.reduce((n, g) => n + g.orders, 0);
  let done = 0;
  for (let i = 0; i < groups.length;) {
    const chunk: Group[] = [];
    let orders = 0;
    while (i < groups.length && (chunk.length === 0 || orders + groups[i]!.orders <= CHUNK_ORDERS)) {
      orders += groups[i]!.orders;
      chunk.push(groups[i++]!);
    }
    await processChunk(store, ref, chunk, { asOf, tiered }, report);
    done += orders;
    onProgress?.(done, total);
  }
  // Saved last: a crash before this line only means the next run looks at the same orders again.
  await db
    .insertInto('settings')
    .values([
      { key: WATERMARK, value: newWatermark },
      { key: LAST_AS_OF, value: asOf },
    ])
    .onConflict((oc) => oc.column('key').doUpdateSet((eb) => ({ value: eb.ref('excluded.value') })))
    .execute();
  report.watermark = newWatermark;
  report.durationMs = Math.round(performance.now() - started);
  return report;
}
