import { type CompiledQuery, type ExpressionBuilder, type Kysely, sql } from 'kysely';
import type { FxRate } from '../domain/fx';
import { type ExistingEntry, type LedgerChanges, orderStanding, planLedgerChanges, type TargetComponent } from '../domain/ledger';
import { type AtomicWrites, kyselyAtomicWrites } from '../store/atomic-writes';
import type { Database, LedgerStatus } from '../store/database';
import { evaluateOrder, loadReference, type OrderRow, type Reference } from './order-commission';

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
  watermark: string;
  durationMs: number;
}

export type BatchProgress = (done: number, total: number) => void;

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
/** Rows per multi-row INSERT on SQLite (22 columns each, under its 32,766 bound parameters). */
const INSERT_ROWS = 1000;
const LEDGER_COLUMNS = 22;
/** Ids per IN list on SQLite. */
const IN_LIST = INSERT_ROWS * 10;

/** Statement sizes that fit the store's bound-parameter limit (D1: 100 per statement). */
interface Sizes {
  insertRows: number;
  inList: number;
  /** Groups per chunk: the chunk's read binds three values per group. */
  groups: number;
}

function sizesFor(writes: AtomicWrites, tiered: number): Sizes {
  const max = writes.maxBoundParameters;
  return {
    insertRows: Math.max(1, Math.min(INSERT_ROWS, Math.floor(max / LEDGER_COLUMNS))),
    inList: Math.max(1, Math.min(IN_LIST, max - 4)),
    groups: Math.max(1, Math.floor((max - tiered - 8) / 3)),
  };
}

interface Group {
  affiliateId: number;
  programId: number;
  month: string;
  orders: number;
}

interface OrderChanges extends LedgerChanges {
  order: OrderRow;
  planVersion: number;
  currency: string;
  /** The rate the order was converted at, and whether it is pinned to the order now. */
  fx?: FxRate & { pin: boolean };
}

/** What one group's orders need appended and re-statused, computed in memory. */
function settleGroup(
  ref: Reference,
  orders: OrderRow[],
  entries: Map<number, ExistingEntry[]>,
  asOfMs: number,
  report: BatchReport,
) {
  const out: OrderChanges[] = [];
  let monthSales = 0;
  for (const order of orders) {
    report.ordersExamined++;
    const evaluation = evaluateOrder(ref, order, monthSales);
    if (evaluation.kind === 'no_rate') {
      // No rate stored for the day it was placed: the order waits, visibly counted.
      report.skippedOtherCurrency++;
      continue;
    }
    monthSales += evaluation.keptMinor;
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
  return out;
}

/**
 * One chunk's writes as a single unit of work: they read nothing back, so SQLite commits them
 * in one transaction and D1 in one batch().
 */
async function writeChanges(db: Kysely<Database>, writes: AtomicWrites, sizes: Sizes, changes: OrderChanges[], asOf: string) {
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
  for (const c of changes)
    for (const s of c.statusChanges) byStatus.set(s.status, [...(byStatus.get(s.status) ?? []), s.entryId]);
  // Statements are made as they are run: on SQLite each multi-row INSERT is compiled, run and
  // dropped in turn (compiling the whole chunk first measured slower: ~100k rows of parameters
  // held at once); D1 gathers them into one batch().
  let inserts = 0;
  function* statements(): Generator<CompiledQuery> {
    if (writes.insertIgnoringConflicts) {
      for (const statement of writes.insertIgnoringConflicts('ledger_entries', ['entry_id'], rows)) {
        inserts++;
        yield statement;
      }
    } else {
      for (let i = 0; i < rows.length; i += sizes.insertRows) {
        inserts++;
        yield db
          .insertInto('ledger_entries')
          .values(rows.slice(i, i + sizes.insertRows))
          .onConflict((oc) => oc.column('entry_id').doNothing())
          .compile();
      }
    }
    for (const { order, fx } of changes) {
      if (!fx?.pin) continue;
      yield db
        .updateTable('orders')
        .set({ fx_rate: fx.rate, fx_source: fx.source, fx_effective_at: fx.effectiveAt })
        .where('id', '=', order.id)
        .where('fx_rate', 'is', null)
        .compile();
    }
    for (const [status, ids] of byStatus) {
      for (let i = 0; i < ids.length; i += sizes.inList) {
        yield db
          .updateTable('ledger_entries')
          .set({ status, status_changed_at: asOf })
          .where('entry_id', 'in', ids.slice(i, i + sizes.inList))
          .compile();
      }
    }
  }
  const changed = await writes.commit(statements());
  return changed.slice(0, inserts).reduce((n, c) => n + c.changes, 0);
}

async function processChunk(
  db: Kysely<Database>,
  writes: AtomicWrites,
  sizes: Sizes,
  ref: Reference,
  groups: Group[],
  look: { watermark: string; asOf: string; tiered: number[] },
  asOfMs: number,
  report: BatchReport,
) {
  const asOf = look.asOf;
  const month = sql<string>`substr(placed_at, 1, 7)`;
  const wanted = new Set(groups.map((g) => `${g.affiliateId}:${g.programId}:${g.month}`));
  const candidates = await db
    .selectFrom('orders')
    .selectAll()
    .where('affiliate_id', 'in', [...new Set(groups.map((g) => g.affiliateId))])
    .where('program_id', 'in', [...new Set(groups.map((g) => g.programId))])
    .where(month, 'in', [...new Set(groups.map((g) => g.month))])
    // Without tiers no order depends on another: only the ones that need a look are read.
    // With tiers the whole month is, since earlier sales set later rates.
    .where((eb) =>
      eb.or([eb('program_id', 'in', look.tiered.length > 0 ? look.tiered : [-1]), needsLook(eb, look.watermark, look.asOf)]),
    )
    .orderBy('placed_at')
    .orderBy('id')
    .execute();
  const byGroup = new Map<string, OrderRow[]>();
  for (const o of candidates) {
    const key = `${o.affiliate_id}:${o.program_id}:${o.placed_at.slice(0, 7)}`;
    if (!wanted.has(key)) continue;
    const list = byGroup.get(key) ?? [];
    list.push(o);
    byGroup.set(key, list);
  }
  const orderIds = [...byGroup.values()].flatMap((list) => list.map((o) => o.id));
  const entries = new Map<number, ExistingEntry[]>();
  for (let i = 0; i < orderIds.length; i += sizes.inList) {
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
      .where('order_id', 'in', orderIds.slice(i, i + sizes.inList))
      .orderBy('id')
      .execute();
    for (const e of rows) {
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
  const changes = [...byGroup.values()].flatMap((orders) => settleGroup(ref, orders, entries, asOfMs, report));
  if (changes.length === 0) return;
  report.entriesAppended += await writeChanges(db, writes, sizes, changes, asOf);
  report.ordersChanged += changes.length;
  report.statusChanges += changes.reduce((n, c) => n + c.statusChanges.length, 0);
}

/**
 * An order the batch must look at: changed since the last run (>=: one written in the same
 * millisecond as the watermark is looked at again), or pending with its lock period ended by
 * asOf (its status moves with asOf alone).
 */
function needsLook(eb: ExpressionBuilder<Database, 'orders'>, watermark: string, asOf: string) {
  return eb.or([
    eb('updated_at', '>=', watermark),
    eb.and([
      eb(
        sql<string>`strftime('%Y-%m-%dT%H:%M:%fZ', orders.completed_at, '+' || (select lock_days from programs where programs.id = orders.program_id) || ' days')`,
        '<=',
        asOf,
      ),
      eb.exists(
        eb
          .selectFrom('ledger_entries')
          .select('ledger_entries.id')
          .whereRef('ledger_entries.order_id', '=', 'orders.id')
          .where('ledger_entries.status', '=', 'pending'),
      ),
    ]),
  ]);
}

const running = new WeakMap<Kysely<Database>, Promise<BatchReport>>();

/**
 * Runs the batch; a call while one runs waits for it and runs after (never two at once).
 * `writes` commits each chunk: a SQLite transaction by default, D1's batch() on Workers.
 */
export function runCommissionBatch(
  db: Kysely<Database>,
  asOf: Date,
  onProgress?: BatchProgress,
  writes: AtomicWrites = kyselyAtomicWrites(db),
): Promise<BatchReport> {
  const previous = running.get(db) ?? Promise.resolve(undefined);
  const next = previous.catch(() => undefined).then(() => runOnce(db, writes, asOf, onProgress));
  running.set(db, next);
  return next;
}

async function runOnce(
  db: Kysely<Database>,
  writes: AtomicWrites,
  asOfDate: Date,
  onProgress?: BatchProgress,
): Promise<BatchReport> {
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
    watermark,
    durationMs: 0,
  };
  const month = sql<string>`substr(orders.placed_at, 1, 7)`;
  // Groups with an order changed since the last run, or with entries waiting for their lock
  // period to end (statuses move with asOf alone), each with its size.
  const touched = await db
    .selectFrom('orders')
    .select(['affiliate_id', 'program_id', month.as('month'), sql<string>`max(updated_at)`.as('last_update')])
    .where('affiliate_id', 'is not', null)
    .where((eb) => needsLook(eb, watermark, asOf))
    .groupBy(['affiliate_id', 'program_id', month])
    .execute();
  const sizes = await db
    .selectFrom('orders')
    .select(['affiliate_id', 'program_id', month.as('month'), (eb) => eb.fn.countAll<number>().as('n')])
    .where('affiliate_id', 'is not', null)
    .groupBy(['affiliate_id', 'program_id', month])
    .execute();
  const size = new Map(sizes.map((s) => [`${s.affiliate_id}:${s.program_id}:${s.month}`, Number(s.n)]));
  const groups: Group[] = touched.map((g) => ({
    affiliateId: g.affiliate_id!,
    programId: g.program_id,
    month: g.month,
    orders: size.get(`${g.affiliate_id}:${g.program_id}:${g.month}`) ?? 0,
  }));
  let newWatermark = watermark;
  for (const g of touched) if (g.last_update > newWatermark && g.last_update <= asOf) newWatermark = g.last_update;

  const ref = await loadReference(db);
  const tiered = [...ref.plans].filter(([, versions]) => versions.some((v) => (v.spec.tiers ?? []).length > 0)).map(([id]) => id);
  const limits = sizesFor(writes, tiered.length);
  const total = groups.reduce((n, g) => n + g.orders, 0);
  let done = 0;
  for (let i = 0; i < groups.length;) {
    const chunk: Group[] = [];
    let orders = 0;
    while (
      i < groups.length &&
      (chunk.length === 0 || (orders + groups[i]!.orders <= CHUNK_ORDERS && chunk.length < limits.groups))
    ) {
      orders += groups[i]!.orders;
      chunk.push(groups[i++]!);
    }
    await processChunk(db, writes, limits, ref, chunk, { watermark, asOf, tiered }, asOfDate.getTime(), report);
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
