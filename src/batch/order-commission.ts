import type { Kysely, Selectable } from 'kysely';
import { type CommissionComponent, computeCommission, tierReached } from '../domain/commission';
import { compilePlan, type CommissionPlan, type PlanSpec } from '../domain/commission-plan';
import { convertMinor, convertOrder, type FxRate, inverseRate } from '../domain/fx';
import type { OrderSnapshot } from '../domain/order';
import type { Database, OrderTable } from '../store/database';

/**
 * What an order earns, from the reference data the batch and the what-if simulation share:
 * plan versions, programs, recruiters, custom rates and exchange rates, loaded once per run.
 */
export type OrderRow = Selectable<OrderTable>;

/**
 * The order columns an evaluation reads. Not the receipt or the attribution details: the batch
 * reads every order it evaluates, so each column left out is left out hundreds of thousands of times.
 */
export const EVALUATED_ORDER_COLUMNS = [
  'id',
  'program_id',
  'affiliate_id',
  'currency',
  'placed_at',
  'held',
  'review',
  'status',
  'completed_at',
  'snapshot',
  'revenue_minor',
  'refunded_minor',
  'fx_rate',
  'fx_source',
  'fx_effective_at',
] as const satisfies readonly (keyof OrderRow)[];
export type EvaluatedOrder = Pick<OrderRow, (typeof EVALUATED_ORDER_COLUMNS)[number]>;

export interface Reference {
  plans: Map<number, { version: number; effectiveFrom: string; spec: PlanSpec }[]>;
  compiled: Map<string, CommissionPlan>;
  programs: Map<number, { currency: string; lockDays: number }>;
  parents: Map<number, number | null>;
  /** Per program and affiliate, the custom-rate history in effective order. */
  rates: Map<string, { rateBp: number | null; effectiveFrom: string }[]>;
  /** Per `base:quote`, the stored exchange rates in effective order. */
  fx: Map<string, FxRate[]>;
}

/** What an order's sales in the month come from: enough to place it among its tiers without its lines. */
export type OrderSalesFacts = Pick<
  OrderRow,
  'id' | 'program_id' | 'placed_at' | 'status' | 'review' | 'currency' | 'revenue_minor' | 'refunded_minor' | 'fx_rate'
>;

export const isVoided = (o: Pick<OrderRow, 'status' | 'review'>) =>
  o.status === 'cancelled' || o.status === 'refunded' || o.review === 'rejected';

function groupBy<T, V>(rows: T[], key: (row: T) => string, value: (row: T) => V): Map<string, V[]> {
  const map = new Map<string, V[]>();
  for (const row of rows) {
    const k = key(row);
    const list = map.get(k);
    if (list) list.push(value(row));
    else map.set(k, [value(row)]);
  }
  return map;
}

export async function loadReference(db: Kysely<Database>): Promise<Reference> {
  const [versions, programs, affiliates, rates, fxRates] = await Promise.all([
    db.selectFrom('plan_versions').selectAll().orderBy('program_id').orderBy('version').execute(),
    db.selectFrom('programs').select(['id', 'currency', 'lock_days']).execute(),
    db.selectFrom('affiliates').select(['id', 'parent_id']).execute(),
    db.selectFrom('affiliate_rates').selectAll().orderBy('effective_from').execute(),
    db.selectFrom('fx_rates').selectAll().orderBy('effective_at').execute(),
  ]);
  const plans = new Map<number, { version: number; effectiveFrom: string; spec: PlanSpec }[]>();
  for (const [k, list] of groupBy(
    versions,
    (v) => String(v.program_id),
    (v) => ({ version: v.version, effectiveFrom: v.effective_from, spec: JSON.parse(v.plan) as PlanSpec }),
  )) {
    plans.set(Number(k), list);
  }
  return {
    plans,
    compiled: new Map(),
    programs: new Map(programs.map((p) => [p.id, { currency: p.currency, lockDays: p.lock_days }])),
    parents: new Map(affiliates.map((a) => [a.id, a.parent_id])),
    rates: groupBy(
      rates,
      (r) => `${r.program_id}:${r.affiliate_id}`,
      (r) => ({ rateBp: r.rate_bp, effectiveFrom: r.effective_from }),
    ),
    fx: groupBy(
      fxRates,
      (r) => `${r.base}:${r.quote}`,
      (r) => ({ rate: r.rate, source: r.source, effectiveAt: r.effective_at }),
    ),
  };
}

/** The plan in force when the order was placed. */
export function planFor(ref: Reference, programId: number, placedAt: string, currency: string) {
  let chosen: { version: number; effectiveFrom: string; spec: PlanSpec } | undefined;
  for (const v of ref.plans.get(programId) ?? []) if (v.effectiveFrom <= placedAt) chosen = v;
  if (!chosen) return undefined;
  const key = `${programId}:${chosen.version}:${currency}`;
  let plan = ref.compiled.get(key);
  if (!plan) ref.compiled.set(key, (plan = compilePlan(chosen.spec, currency)));
  return { version: chosen.version, plan };
}

/**
 * The latest stored rate in force when an order was placed, in either direction: `from/to`
 * as stored, or `to/from` used as its exact inverse. The more recent wins; at the same time
 * the rate stored in the order's direction.
 */
function storedRate(ref: Reference, from: string, to: string, placedAt: string): FxRate | undefined {
  let chosen: FxRate | undefined;
  for (const r of ref.fx.get(`${from}:${to}`) ?? []) if (r.effectiveAt <= placedAt) chosen = r;
  let inverse: FxRate | undefined;
  for (const r of ref.fx.get(`${to}:${from}`) ?? []) if (r.effectiveAt <= placedAt) inverse = r;
  if (inverse && (!chosen || inverse.effectiveAt > chosen.effectiveAt)) return { ...inverse, rate: inverseRate(inverse.rate) };
  return chosen;
}

/**
 * The rate an order in another currency is converted at: the one pinned to it the first time,
 * else the latest stored rate in force when it was placed. Once pinned it never changes (P18).
 */
function fxFor(ref: Reference, order: EvaluatedOrder, to: string): (FxRate & { pin: boolean }) | undefined {
  if (order.fx_rate !== null)
    return { rate: order.fx_rate, source: order.fx_source!, effectiveAt: order.fx_effective_at!, pin: false };
  const chosen = storedRate(ref, order.currency, to, order.placed_at);
  return chosen ? { ...chosen, pin: true } : undefined;
}

/**
 * What the order adds to its affiliate's month sales, in the program's currency (nothing once
 * voided), at the rate `fxFor` gives; undefined while no rate is stored for it.
 */
export function keptSalesMinor(ref: Reference, order: OrderSalesFacts): number | undefined {
  const program = ref.programs.get(order.program_id)!;
  const keptMinor = isVoided(order) ? 0 : order.revenue_minor - order.refunded_minor;
  if (order.currency === program.currency) return keptMinor;
  const rate = order.fx_rate ?? storedRate(ref, order.currency, program.currency, order.placed_at)?.rate;
  return rate === undefined ? undefined : convertMinor(keptMinor, order.currency, program.currency, rate);
}

/**
 * Whether an order whose own facts did not change must be evaluated again because the month
 * sales before it did: only when they now reach another tier than the sales it was last
 * evaluated with (`lastSalesMinor`; null: never evaluated).
 */
export function tierMoved(
  ref: Reference,
  order: Pick<OrderRow, 'program_id' | 'placed_at'>,
  lastSalesMinor: number | null,
  salesBeforeMinor: number,
): boolean {
  if (lastSalesMinor === null) return true;
  const program = ref.programs.get(order.program_id)!;
  const versioned = planFor(ref, order.program_id, order.placed_at, program.currency);
  if (!versioned) return false;
  return tierReached(versioned.plan, lastSalesMinor) !== tierReached(versioned.plan, salesBeforeMinor);
}

/**
 * Every month-sales threshold of every plan version of a program, in its currency: where a
 * change of the sales before an order can change its tier (`tierReached` decides exactly).
 */
export function tierThresholds(ref: Reference, programId: number): number[] {
  const program = ref.programs.get(programId)!;
  const all = (ref.plans.get(programId) ?? []).flatMap((v) =>
    planFor(ref, programId, v.effectiveFrom, program.currency)!.plan.tiers.map((t) => t.monthlySalesOverMinor),
  );
  return [...new Set(all)];
}

export type OrderEvaluation =
  | { kind: 'no_rate'; from: string; to: string }
  | { kind: 'no_plan'; keptMinor: number }
  | {
      kind: 'earned';
      components: CommissionComponent[];
      planVersion: number;
      currency: string;
      /** The order's kept sales in the program's currency (for the next order's tier). */
      keptMinor: number;
      fx?: FxRate & { pin: boolean };
    };

/**
 * What one attributed order earns, in its program's currency, given the affiliate's sales
 * earlier in the month. `plan` replaces the versioned plan (the what-if simulation).
 */
export function evaluateOrder(
  ref: Reference,
  order: EvaluatedOrder,
  monthSalesBeforeMinor: number,
  plan?: CommissionPlan,
): OrderEvaluation {
  const program = ref.programs.get(order.program_id)!;
  const keptMinor = keptSalesMinor(ref, order);
  if (keptMinor === undefined) return { kind: 'no_rate', from: order.currency, to: program.currency };
  const fx = order.currency === program.currency ? undefined : fxFor(ref, order, program.currency);
  let snapshot = JSON.parse(order.snapshot) as OrderSnapshot;
  if (fx) snapshot = convertOrder(snapshot, program.currency, fx.rate);
  const versioned = plan ? { version: 0, plan } : planFor(ref, order.program_id, order.placed_at, program.currency);
  if (!versioned) return { kind: 'no_plan', keptMinor };
  const affiliateId = order.affiliate_id!;
  // A custom rate applies to orders placed while it was in force, never to the past.
  let overrideBp: number | undefined;
  for (const r of ref.rates.get(`${order.program_id}:${affiliateId}`) ?? []) {
    if (r.effectiveFrom <= order.placed_at) overrideBp = r.rateBp ?? undefined;
  }
  const components = computeCommission({
    plan: versioned.plan,
    order: snapshot,
    voided: isVoided(order),
    monthSalesBeforeMinor,
    overrideBp,
    hasParent: (ref.parents.get(affiliateId) ?? null) !== null,
  });
  return {
    kind: 'earned',
    components,
    planVersion: versioned.version,
    currency: program.currency,
    keptMinor,
    ...(fx ? { fx } : {}),
  };
}
