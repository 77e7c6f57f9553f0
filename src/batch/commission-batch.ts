import type { Kysely, Selectable } from 'kysely';
import { computeCommission } from '../domain/commission';
import { compilePlan, type CommissionPlan, type PlanSpec } from '../domain/commission-plan';
import { type ExistingEntry, orderStanding, planLedgerChanges, type TargetComponent } from '../domain/ledger';
import type { OrderSnapshot } from '../domain/order';
import type { Database, OrderTable } from '../store/database';

/**
 * The commission batch: brings the ledger up to date with the orders as of `asOf`. It never
 * reads the clock; running it twice, or again after a crash half-way, appends nothing new (P9),
 * because every entry is the difference between what an order earns and what its entries
 * already sum to, under a deterministic id, written in one transaction per order.
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

const WATERMARK = 'commission_watermark';
type OrderRow = Selectable<OrderTable>;

interface Context {
  db: Kysely<Database>;
  asOf: string;
  asOfMs: number;
  plans: Map<string, { version: number; plan: CommissionPlan } | null>;
  programs: Map<number, { currency: string; lockDays: number }>;
  parents: Map<number, number | null>;
  report: BatchReport;
}

async function programOf(ctx: Context, programId: number) {
  let program = ctx.programs.get(programId);
  if (!program) {
    const row = await ctx.db
      .selectFrom('programs')
      .select(['currency', 'lock_days'])
      .where('id', '=', programId)
      .executeTakeFirstOrThrow();
    program = { currency: row.currency, lockDays: row.lock_days };
    ctx.programs.set(programId, program);
  }
  return program;
}

/** The plan in force when the order was placed (plans are effective-dated versions). */
async function planFor(ctx: Context, programId: number, placedAt: string, currency: string) {
  const row = await ctx.db
    .selectFrom('plan_versions')
    .select(['version', 'plan'])
    .where('program_id', '=', programId)
    .where('effective_from', '<=', placedAt)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!row) return null;
  const cacheKey = `${programId}:${row.version}:${currency}`;
  if (!ctx.plans.has(cacheKey)) {
    ctx.plans.set(cacheKey, { version: row.version, plan: compilePlan(JSON.parse(row.plan) as PlanSpec, currency) });
  }
  return ctx.plans.get(cacheKey)!;
}

async function parentOf(ctx: Context, affiliateId: number) {
  if (!ctx.parents.has(affiliateId)) {
    const row = await ctx.db.selectFrom('affiliates').select('parent_id').where('id', '=', affiliateId).executeTakeFirst();
    ctx.parents.set(affiliateId, row?.parent_id ?? null);
  }
  return ctx.parents.get(affiliateId)!;
}

const voided = (o: OrderRow) => o.status === 'cancelled' || o.status === 'refunded' || o.review === 'rejected';

async function settleOrder(ctx: Context, order: OrderRow, monthSalesBeforeMinor: number): Promise<void> {
  const program = await programOf(ctx, order.program_id);
  if (order.currency !== program.currency) {
    // Conversion at a stored rate (P18) is not built yet: such orders wait, visibly counted.
    ctx.report.skippedOtherCurrency++;
    return;
  }
  const affiliateId = order.affiliate_id!;
  const versioned = await planFor(ctx, order.program_id, order.placed_at, order.currency);
  if (!versioned) return;
  const override = await ctx.db
    .selectFrom('affiliate_rates')
    .select('rate_bp')
    .where('program_id', '=', order.program_id)
    .where('affiliate_id', '=', affiliateId)
    .where('created_at', '<=', order.placed_at)
    .executeTakeFirst();
  const parentId = await parentOf(ctx, affiliateId);
  const components = computeCommission({
    plan: versioned.plan,
    order: JSON.parse(order.snapshot) as OrderSnapshot,
    voided: voided(order),
    monthSalesBeforeMinor,
    overrideBp: override?.rate_bp,
    hasParent: parentId !== null,
  });
  const targets: TargetComponent[] = components.map((c) => ({
    ...c,
    affiliateId: c.beneficiary === 'parent' ? parentId! : affiliateId,
  }));
  const standing = orderStanding(
    {
      status: order.status,
      completedAt: order.completed_at,
      held: order.held === 1,
      review: order.review,
      lockDays: program.lockDays,
    },
    ctx.asOfMs,
  );
  const existing = await ctx.db
    .selectFrom('ledger_entries')
    .select(['entry_id', 'slot', 'affiliate_id', 'amount_minor', 'status', 'kind'])
    .where('order_id', '=', order.id)
    .execute();
  const changes = planLedgerChanges(
    order.id,
    existing.map((e): ExistingEntry => ({
      entryId: e.entry_id,
      slot: e.slot,
      affiliateId: e.affiliate_id,
      amountMinor: e.amount_minor,
      status: e.status,
      kind: e.kind,
    })),
    targets,
    standing,
  );
  if (changes.append.length === 0 && changes.statusChanges.length === 0) return;
  await ctx.db.transaction().execute(async (trx) => {
    if (changes.append.length > 0) {
      await trx
        .insertInto('ledger_entries')
        .values(
          changes.append.map((e) => ({
            entry_id: e.entryId,
            order_id: order.id,
            program_id: order.program_id,
            affiliate_id: e.affiliateId,
            slot: e.slot,
            line_index: e.lineIndex,
            kind: e.kind,
            status: e.status,
            amount_minor: e.amountMinor,
            currency: order.currency,
            base_minor: e.baseMinor,
            rate_bp: e.rateBp,
            rule: e.rule,
            plan_version: versioned.version,
            explanation: e.explanation,
            as_of: ctx.asOf,
            created_at: ctx.asOf,
            status_changed_at: ctx.asOf,
          })),
        )
        .onConflict((oc) => oc.column('entry_id').doNothing())
        .execute();
    }
    for (const change of changes.statusChanges) {
      await trx
        .updateTable('ledger_entries')
        .set({ status: change.status, status_changed_at: ctx.asOf })
        .where('entry_id', '=', change.entryId)
        .execute();
    }
  });
  ctx.report.ordersChanged++;
  ctx.report.entriesAppended += changes.append.length;
  ctx.report.statusChanges += changes.statusChanges.length;
}

/** Orders of one affiliate in one program in one calendar month, in the order they were placed. */
async function settleGroup(ctx: Context, affiliateId: number, programId: number, month: string) {
  const orders = await ctx.db
    .selectFrom('orders')
    .selectAll()
    .where('affiliate_id', '=', affiliateId)
    .where('program_id', '=', programId)
    .where('placed_at', '>=', `${month}-01`)
    .where('placed_at', '<', nextMonth(month))
    .orderBy('placed_at')
    .orderBy('id')
    .execute();
  // Tiers look at the affiliate's sales earlier in the month, so a change to one order can move
  // the rate of every later one: the whole month is recomputed.
  let monthSales = 0;
  for (const order of orders) {
    await settleOrder(ctx, order, monthSales);
    ctx.report.ordersExamined++;
    if (!voided(order)) monthSales += order.revenue_minor - order.refunded_minor;
  }
}

function nextMonth(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}

const running = new WeakMap<Kysely<Database>, Promise<BatchReport>>();

/** Runs the batch; a second call while one runs waits for it and runs after (never two at once). */
export function runCommissionBatch(db: Kysely<Database>, asOf: Date, onProgress?: BatchProgress): Promise<BatchReport> {
  const previous = running.get(db) ?? Promise.resolve(undefined);
  const next = previous.catch(() => undefined).then(() => runOnce(db, asOf, onProgress));
  running.set(db, next);
  return next;
}

async function runOnce(db: Kysely<Database>, asOfDate: Date, onProgress?: BatchProgress): Promise<BatchReport> {
  const started = performance.now();
  const asOf = asOfDate.toISOString();
  const stored = await db.selectFrom('settings').select('value').where('key', '=', WATERMARK).executeTakeFirst();
  const watermark = stored?.value ?? '';
  const ctx: Context = {
    db,
    asOf,
    asOfMs: asOfDate.getTime(),
    plans: new Map(),
    programs: new Map(),
    parents: new Map(),
    report: {
      asOf,
      ordersExamined: 0,
      ordersChanged: 0,
      entriesAppended: 0,
      statusChanges: 0,
      skippedOtherCurrency: 0,
      watermark,
      durationMs: 0,
    },
  };
  const changed = await db
    .selectFrom('orders')
    .select(['affiliate_id', 'program_id', 'placed_at', 'updated_at'])
    .where('affiliate_id', 'is not', null)
    // >=: an order written in the same millisecond as the watermark is looked at again (harmless).
    .where('updated_at', '>=', watermark)
    .execute();
  // Orders whose lock period may have ended since: their statuses move with asOf alone.
  const waiting = await db
    .selectFrom('ledger_entries')
    .innerJoin('orders', 'orders.id', 'ledger_entries.order_id')
    .select(['orders.affiliate_id', 'orders.program_id', 'orders.placed_at', 'orders.updated_at'])
    .where('ledger_entries.status', '=', 'pending')
    .where('orders.completed_at', 'is not', null)
    .distinct()
    .execute();
  const groups = new Map<string, [number, number, string]>();
  let newWatermark = watermark;
  for (const o of [...changed, ...waiting]) {
    const month = o.placed_at.slice(0, 7);
    groups.set(`${o.affiliate_id}:${o.program_id}:${month}`, [o.affiliate_id!, o.program_id, month]);
    if (o.updated_at > newWatermark && o.updated_at <= asOf) newWatermark = o.updated_at;
  }
  let done = 0;
  for (const [affiliateId, programId, month] of groups.values()) {
    await settleGroup(ctx, affiliateId, programId, month);
    onProgress?.(++done, groups.size);
  }
  // Saved last: a crash before this line only means the next run looks at the same orders again.
  await db
    .insertInto('settings')
    .values({ key: WATERMARK, value: newWatermark })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: newWatermark }))
    .execute();
  ctx.report.watermark = newWatermark;
  ctx.report.durationMs = Math.round(performance.now() - started);
  return ctx.report;
}
