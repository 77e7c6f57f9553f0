import { allocateProportionally } from './allocation';
import type { CommissionPlan, PlanRule } from './commission-plan';
import { formatMoney } from './money';
import { type OrderLine, type OrderSnapshot, lineBase } from './order';
import { basisPointsToPercent } from './rate';
import { divideRounded } from './rounding';

/**
 * What an attributed order earns under a plan: one component per line, per matching bonus rule,
 * the cap, and the recruiter's share. Each component is a ledger "slot": the ledger holds the
 * entries whose sum is the slot's amount, and the batch appends the difference when it changes.
 * Amounts are rounded once, half away from zero, per component (P17).
 */
export type ComponentKind = 'line' | 'bonus' | 'cap' | 'parent';

export interface CommissionComponent {
  /** Stable name of the slot within the order: `line:0`, `bonus:2`, `cap`, `parent`. */
  slot: string;
  kind: ComponentKind;
  lineIndex: number | null;
  /** Commissionable base in minor units (after refunds and non-cash), or null for flat parts. */
  baseMinor: number | null;
  /** Rate in basis points, or null for flat amounts. */
  rateBp: number | null;
  /** Which part of the plan decided: `default`, `rules[1]`, `tiers[0]`, `override`, `maxPerOrder`, `parentPercent`. */
  rule: string;
  amountMinor: number;
  explanation: string;
  /** Who earns it: the attributed affiliate, or for `parent` the recruiter. */
  beneficiary: 'affiliate' | 'parent';
}

export interface CommissionInput {
  plan: CommissionPlan;
  order: OrderSnapshot;
  /** Cancelled or rejected: everything is owed back. */
  voided: boolean;
  /** The affiliate's attributed sales in this program earlier in the same calendar month. */
  monthSalesBeforeMinor: number;
  /** A custom rate for this affiliate in this program; replaces the default and the tiers. */
  overrideBp?: number | undefined;
  hasParent: boolean;
}

function matches(rule: PlanRule, line: OrderLine, newCustomer: boolean | undefined): boolean {
  if (rule.sku !== undefined && rule.sku !== line.sku) return false;
  if (rule.category !== undefined && rule.category !== line.category) return false;
  if (rule.newCustomer !== undefined && rule.newCustomer !== (newCustomer === true)) return false;
  return true;
}

function percentOf(base: number, bp: number): number {
  return Number(divideRounded(BigInt(base) * BigInt(bp), 10_000n));
}

/**
 * Per-order rounding: the percent lines' exact amounts are summed and rounded once (half away
 * from zero, the one rule), then allotted back to those lines by largest remainder (ties to the
 * earlier line), so the line entries sum exactly to the rounded total. 1,000 lines of 0.25 EUR
 * at 2.9 % earn 7.25 EUR, as the order's 250.00 EUR does, not 1,000 × 0.01. A line whose share
 * differs from its own rounding says so in its explanation.
 */
function roundPerOrder(components: CommissionComponent[], exact: readonly (bigint | undefined)[], money: (m: number) => string) {
  const lines = exact.flatMap((e, i) => (e === undefined ? [] : [{ i, e }]));
  if (lines.length < 2) return;
  const sum = lines.reduce((acc, l) => acc + l.e, 0n);
  const total = divideRounded(sum, 10_000n);
  // Bases and rates are never negative, so every share is floor + 0 or 1 by remainder.
  const shares = lines.map((l) => ({ i: l.i, share: l.e / 10_000n, remainder: l.e % 10_000n }));
  let left = total - shares.reduce((acc, x) => acc + x.share, 0n);
  const byRemainder = [...shares].sort((a, b) => (a.remainder === b.remainder ? a.i - b.i : a.remainder > b.remainder ? -1 : 1));
  for (const x of byRemainder) {
    if (left <= 0n) break;
    x.share += 1n;
    left -= 1n;
  }
  for (const x of shares) {
    const component = components[x.i]!;
    const share = Number(x.share);
    if (share === component.amountMinor) continue;
    component.explanation = `${component.explanation.replace(/ = [^=]*$/, '')} = ${money(share)} (the order's ${money(Number(total))}, rounded once and allotted by largest remainder)`;
    component.amountMinor = share;
  }
}

/**
 * The tier an order's month sales before it reach: the last one whose threshold they exceed, or
 * -1 (the default rate). The only way month sales enter a commission, so two sales figures with
 * the same tier give the same amounts.
 */
export function tierReached(plan: CommissionPlan, monthSalesBeforeMinor: number): number {
  let reached = -1;
  plan.tiers.forEach((tier, i) => {
    if (monthSalesBeforeMinor > tier.monthlySalesOverMinor) reached = i;
  });
  return reached;
}

export function computeCommission(input: CommissionInput): CommissionComponent[] {
  const { plan, order } = input;
  const money = (m: number) => `${formatMoney({ minor: m, currency: plan.currency })} ${plan.currency}`;
  const pct = (bp: number) => `${basisPointsToPercent(bp)}%`;

  // Non-cash payment (points, store credit) is spread over the lines by their base, exactly.
  const grossBases = order.lines.map(lineBase);
  const nonCash = plan.excludeNonCash ? allocateProportionally(order.nonCashMinor, grossBases) : order.lines.map(() => 0);

  const baseRate = (() => {
    if (input.overrideBp !== undefined) return { bp: input.overrideBp, rule: 'override', why: 'your custom rate' };
    const i = tierReached(plan, input.monthSalesBeforeMinor);
    const tier = plan.tiers[i];
    if (!tier) return { bp: plan.defaultBp, rule: 'default', why: 'default rate' };
    return {
      bp: tier.bp,
      rule: `tiers[${i}]`,
      why: `tier: month sales ${money(input.monthSalesBeforeMinor)} over ${money(tier.monthlySalesOverMinor)}`,
    };
  })();

  // Each percent line's exact commission, in 1/10,000 of a minor unit: per-order rounding splits their rounded sum.
  const exact: (bigint | undefined)[] = order.lines.map(() => undefined);
  const components: CommissionComponent[] = order.lines.map((line, i) => {
    const remaining = input.voided ? 0 : line.quantity - line.refundedQuantity;
    const cashBase = grossBases[i]! - nonCash[i]!;
    const refundedAmount = input.voided ? 0 : (line.refundedAmountMinor ?? 0);
    const base = Math.max(0, Number(divideRounded(BigInt(cashBase) * BigInt(remaining), BigInt(line.quantity))) - refundedAmount);
    const rule = plan.rules.find((r) => (r.bp !== undefined || r.flatMinor !== undefined) && matches(r, line, order.newCustomer));
    const baseText =
      `${line.quantity} × ${money(line.unitPriceMinor)}` +
      (line.discountMinor ? ` − ${money(line.discountMinor)}` : '') +
      (nonCash[i] ? ` − ${money(nonCash[i]!)} non-cash` : '') +
      (remaining !== line.quantity ? `, ${remaining} of ${line.quantity} kept` : '') +
      (refundedAmount ? ` − ${money(refundedAmount)} refunded` : '') +
      ` = ${money(base)}`;
    if (rule?.flatMinor !== undefined) {
      const amount = rule.flatMinor * remaining;
      return {
        slot: `line:${i}`,
        kind: 'line',
        lineIndex: i,
        baseMinor: null,
        rateBp: null,
        rule: `rules[${rule.index}]`,
        beneficiary: 'affiliate',
        amountMinor: amount,
        explanation: `${line.sku}: ${remaining} × ${money(rule.flatMinor)} flat (rules[${rule.index}]) = ${money(amount)}`,
      };
    }
    const rate = rule
      ? { bp: rule.bp!, rule: `rules[${rule.index}]`, why: `rules[${rule.index}]` }
      : line.catalog === 'unknown_sku'
        ? { ...baseRate, why: `${baseRate.why}; SKU not in the catalogue` }
        : baseRate;
    const amount = percentOf(base, rate.bp);
    exact[i] = BigInt(base) * BigInt(rate.bp);
    return {
      slot: `line:${i}`,
      kind: 'line',
      lineIndex: i,
      baseMinor: base,
      rateBp: rate.bp,
      rule: rate.rule,
      beneficiary: 'affiliate',
      amountMinor: amount,
      explanation: `${line.sku}: ${baseText} × ${pct(rate.bp)} (${rate.why}) = ${money(amount)}`,
    };
  });
  if (plan.rounding === 'order') roundPerOrder(components, exact, money);

  for (const rule of plan.rules) {
    if (rule.bonusFlatMinor === undefined) continue;
    const matching = order.lines.filter((line) => matches(rule, line, order.newCustomer));
    if (matching.length === 0) continue;
    // A bonus stays while any matching line still has units the customer kept.
    const kept = !input.voided && matching.some((line) => line.refundedQuantity < line.quantity);
    const amount = kept ? rule.bonusFlatMinor : 0;
    components.push({
      slot: `bonus:${rule.index}`,
      kind: 'bonus',
      lineIndex: null,
      baseMinor: null,
      rateBp: null,
      rule: `rules[${rule.index}]`,
      beneficiary: 'affiliate',
      amountMinor: amount,
      explanation: kept
        ? `bonus (rules[${rule.index}]) = ${money(amount)}`
        : `bonus (rules[${rule.index}]) withdrawn: nothing matching was kept`,
    });
  }

  const subtotal = components.reduce((sum, c) => sum + c.amountMinor, 0);
  if (plan.maxPerOrderMinor !== undefined) {
    const over = Math.max(0, subtotal - plan.maxPerOrderMinor);
    components.push({
      slot: 'cap',
      kind: 'cap',
      lineIndex: null,
      baseMinor: subtotal,
      rateBp: null,
      rule: 'maxPerOrder',
      beneficiary: 'affiliate',
      amountMinor: over === 0 ? 0 : -over,
      explanation:
        over > 0
          ? `capped at ${money(plan.maxPerOrderMinor)} per order: −${money(over)}`
          : `under the ${money(plan.maxPerOrderMinor)} cap`,
    });
  }
  const total = components.reduce((sum, c) => sum + c.amountMinor, 0);
  if (plan.parentBp !== undefined && input.hasParent) {
    const amount = percentOf(total, plan.parentBp);
    components.push({
      slot: 'parent',
      kind: 'parent',
      lineIndex: null,
      baseMinor: total,
      rateBp: plan.parentBp,
      rule: 'parentPercent',
      beneficiary: 'parent',
      amountMinor: amount,
      explanation: `recruiter's share: ${money(total)} × ${pct(plan.parentBp)} = ${money(amount)}`,
    });
  }
  return components;
}

/** The commission the affiliate earns from the components (the recruiter's share is separate). */
export function affiliateTotal(components: readonly CommissionComponent[]): number {
  return components.filter((c) => c.beneficiary === 'affiliate').reduce((sum, c) => sum + c.amountMinor, 0);
}
