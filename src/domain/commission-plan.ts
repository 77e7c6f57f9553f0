import { parseMoney } from './money';
import { percentToBasisPoints } from './rate';

/** A plan as merchants write it (decimal strings), the shape the API validates. */
export interface PlanSpec {
  default: { percent: string };
  rules?: { sku?: string; category?: string; newCustomer?: boolean; percent?: string; flat?: string; bonusFlat?: string }[];
  tiers?: { monthlySalesOver: string; percent: string }[];
  maxPerOrder?: string;
  parentPercent?: string;
  excludeNonCash?: boolean;
  /**
   * Where percent commission is rounded: once on the order's total, then allotted to its lines
   * by largest remainder ("order"), or on each line by itself ("line"). Plans stored before the
   * setting existed have none and stay per line, so no entry in the ledger changes.
   */
  rounding?: 'order' | 'line';
}

/** A plan as the API has validated it: lists present and defaults applied (`app/schemas/plan.ts`). */
export interface Plan extends PlanSpec {
  rules: NonNullable<PlanSpec['rules']>;
  tiers: NonNullable<PlanSpec['tiers']>;
  excludeNonCash: boolean;
  rounding: 'order' | 'line';
}

/** The money fields of a plan, with a path for error messages. */
export function planAmounts(plan: Plan): { path: string; value: string }[] {
  const out: { path: string; value: string }[] = [];
  plan.rules.forEach((r, i) => {
    if (r.flat !== undefined) out.push({ path: `plan.rules[${i}].flat`, value: r.flat });
    if (r.bonusFlat !== undefined) out.push({ path: `plan.rules[${i}].bonusFlat`, value: r.bonusFlat });
  });
  plan.tiers.forEach((t, i) => out.push({ path: `plan.tiers[${i}].monthlySalesOver`, value: t.monthlySalesOver }));
  if (plan.maxPerOrder !== undefined) out.push({ path: 'plan.maxPerOrder', value: plan.maxPerOrder });
  return out;
}

export interface PlanRule {
  index: number;
  sku?: string | undefined;
  category?: string | undefined;
  newCustomer?: boolean | undefined;
  bp?: number | undefined;
  flatMinor?: number | undefined;
  bonusFlatMinor?: number | undefined;
}

/** A plan in the engine's units: basis points and minor units of the program's currency. */
export interface CommissionPlan {
  currency: string;
  defaultBp: number;
  rules: PlanRule[];
  tiers: { monthlySalesOverMinor: number; bp: number }[];
  maxPerOrderMinor?: number | undefined;
  parentBp?: number | undefined;
  excludeNonCash: boolean;
  rounding: 'order' | 'line';
}

function bp(text: string): number {
  const value = percentToBasisPoints(text);
  if (value === undefined) throw new Error(`invalid percent ${text}`);
  return value;
}

function minor(text: string, currency: string): number {
  const parsed = parseMoney(text, currency);
  if (!parsed.ok) throw new Error(`invalid amount ${text} ${currency}: ${parsed.error}`);
  return parsed.value.minor;
}

/** Converts a validated plan; throws on values validation should already have refused. */
export function compilePlan(spec: PlanSpec, currency: string): CommissionPlan {
  return {
    currency,
    defaultBp: bp(spec.default.percent),
    rules: (spec.rules ?? []).map((r, index) => ({
      index,
      sku: r.sku,
      category: r.category,
      newCustomer: r.newCustomer,
      bp: r.percent === undefined ? undefined : bp(r.percent),
      flatMinor: r.flat === undefined ? undefined : minor(r.flat, currency),
      bonusFlatMinor: r.bonusFlat === undefined ? undefined : minor(r.bonusFlat, currency),
    })),
    tiers: (spec.tiers ?? []).map((t) => ({ monthlySalesOverMinor: minor(t.monthlySalesOver, currency), bp: bp(t.percent) })),
    maxPerOrderMinor: spec.maxPerOrder === undefined ? undefined : minor(spec.maxPerOrder, currency),
    parentBp: spec.parentPercent === undefined ? undefined : bp(spec.parentPercent),
    excludeNonCash: spec.excludeNonCash ?? false,
    rounding: spec.rounding ?? 'line',
  };
}
