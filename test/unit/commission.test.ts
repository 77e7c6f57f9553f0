import { describe, expect, it } from 'vitest';
import { allocateProportionally } from '../../src/domain/allocation';
import { affiliateTotal, computeCommission, type CommissionInput } from '../../src/domain/commission';
import { compilePlan, type PlanSpec } from '../../src/domain/commission-plan';
import type { OrderLine, OrderSnapshot } from '../../src/domain/order';
import { divideRounded } from '../../src/domain/rounding';

function line(sku: string, quantity: number, unitPriceMinor: number, extra: Partial<OrderLine> = {}): OrderLine {
  return { sku, quantity, unitPriceMinor, discountMinor: 0, refundedQuantity: 0, ...extra };
}

function order(lines: OrderLine[], extra: Partial<OrderSnapshot> = {}): OrderSnapshot {
  return { id: 'A-1', currency: 'EUR', shippingMinor: 490, taxMinor: 0, nonCashMinor: 0, lines, ...extra };
}

function run(spec: PlanSpec, o: OrderSnapshot, extra: Partial<CommissionInput> = {}) {
  const components = computeCommission({
    plan: compilePlan(spec, o.currency),
    order: o,
    voided: false,
    monthSalesBeforeMinor: 0,
    hasParent: false,
    ...extra,
  });
  return {
    components,
    total: affiliateTotal(components),
    amounts: Object.fromEntries(components.map((c) => [c.slot, c.amountMinor])),
  };
}

const designPlan: PlanSpec = {
  default: { percent: '8' },
  rules: [
    { sku: 'GIFT-CARD', percent: '0' },
    { category: 'electronics', percent: '3' },
    { newCustomer: true, bonusFlat: '5.00' },
  ],
  tiers: [{ monthlySalesOver: '10000.00', percent: '10' }],
  maxPerOrder: '200.00',
  parentPercent: '10',
  excludeNonCash: true,
};

describe('rounding (P17): half away from zero at the minor unit, on exact integers', () => {
  it.each([
    [145n, 10n, 15n], // 14.5 → 15
    [155n, 10n, 16n], // 15.5 → 16
    [146n, 10n, 15n],
    [144n, 10n, 14n],
    [-145n, 10n, -15n], // a reversal is the exact negation
    [-155n, 10n, -16n],
    [0n, 7n, 0n],
    [1n, 3n, 0n],
    [2n, 3n, 1n],
  ])('%i / %i = %i', (n, d, q) => {
    expect(divideRounded(n, d)).toBe(q);
  });

  it('500¢ × 2.9% is exactly 14.5¢ and pays 15¢, not 14, with no float error either way', () => {
    expect(run({ default: { percent: '2.9' } }, order([line('X', 1, 500)])).total).toBe(15);
    expect(run({ default: { percent: '2.9' } }, order([line('X', 1, 1500)])).total).toBe(44); // 43.5 → 44
  });

  it('a voided order earns exactly 0 on every component, bonus included', () => {
    const kept = run(
      designPlan,
      order([line('S1', 3, 3333), line('E', 1, 99999, { category: 'electronics' })], { newCustomer: true }),
    );
    const voided = run(
      designPlan,
      order([line('S1', 3, 3333), line('E', 1, 99999, { category: 'electronics' })], { newCustomer: true }),
      { voided: true },
    );
    expect(kept.total).toBeGreaterThan(0);
    expect(voided.components.every((c) => c.amountMinor === 0)).toBe(true);
  });
});

describe('commission plans', () => {
  it('applies the default rate to quantity × unitPrice − discount, never to shipping', () => {
    const r = run({ default: { percent: '8' } }, order([line('S1', 2, 4990, { discountMinor: 500, category: 'shoes' })]));
    expect(r.amounts).toEqual({ 'line:0': 758 }); // 94.80 × 8% = 7.584
    expect(r.components[0]!.explanation).toBe('S1: 2 × 49.90 EUR − 5.00 EUR = 94.80 EUR × 8% (default rate) = 7.58 EUR');
  });

  it('uses the first matching rule with a rate, in list order', () => {
    const r = run(
      designPlan,
      order([
        line('GIFT-CARD', 1, 5000, { category: 'electronics' }),
        line('TV', 1, 50000, { category: 'electronics' }),
        line('S1', 1, 10000),
      ]),
    );
    expect(r.amounts).toEqual({ 'line:0': 0, 'line:1': 1500, 'line:2': 800, cap: 0 });
    expect(r.components.map((c) => c.rule)).toEqual(['rules[0]', 'rules[1]', 'default', 'maxPerOrder']);
  });

  it('pays flat rules per unit kept', () => {
    const r = run(
      { default: { percent: '5' }, rules: [{ sku: 'BOX', flat: '2.50' }] },
      order([line('BOX', 4, 1000, { refundedQuantity: 1 })]),
    );
    expect(r.amounts).toEqual({ 'line:0': 750 });
  });

  it('adds a bonus once per matching order, and keeps it while anything is unrefunded', () => {
    const lines = [line('S1', 1, 10000), line('S2', 2, 1000)];
    expect(run(designPlan, order(lines, { newCustomer: true })).amounts).toMatchObject({ 'bonus:2': 500 });
    expect(run(designPlan, order(lines, { newCustomer: false })).amounts).not.toHaveProperty('bonus:2');
    const partly = [line('S1', 1, 10000, { refundedQuantity: 1 }), line('S2', 2, 1000, { refundedQuantity: 1 })];
    expect(run(designPlan, order(partly, { newCustomer: true })).amounts).toMatchObject({
      'bonus:2': 500,
      'line:0': 0,
      'line:1': 80,
    });
    const all = [line('S1', 1, 10000, { refundedQuantity: 1 }), line('S2', 2, 1000, { refundedQuantity: 2 })];
    expect(run(designPlan, order(all, { newCustomer: true })).amounts).toMatchObject({ 'bonus:2': 0 });
  });

  it('switches to a tier rate once the month’s earlier sales pass the threshold', () => {
    const o = order([line('S1', 1, 10000)]);
    expect(run(designPlan, o, { monthSalesBeforeMinor: 1_000_000 }).amounts['line:0']).toBe(800); // exactly 10,000.00: not over
    const over = run(designPlan, o, { monthSalesBeforeMinor: 1_000_001 });
    expect(over.amounts['line:0']).toBe(1000);
    expect(over.components[0]!.rule).toBe('tiers[0]');
  });

  it('caps an order’s total, bonuses included', () => {
    const r = run(designPlan, order([line('S1', 10, 30000)], { newCustomer: true }));
    // 3000.00 × 8% = 240.00 + 5.00 bonus = 245.00, capped at 200.00
    expect(r.amounts).toEqual({ 'line:0': 24000, 'bonus:2': 500, cap: -4500 });
    expect(r.total).toBe(20000);
  });

  it('gives the recruiter its share of the capped total as a separate component', () => {
    const r = run(designPlan, order([line('S1', 1, 12345)]), { hasParent: true });
    expect(r.amounts).toEqual({ 'line:0': 988, cap: 0, parent: 99 }); // 9.876 → 9.88; 0.988 → 0.99
    expect(r.total).toBe(988);
  });

  it('spreads non-cash payment over the lines by their base, exactly, when the plan excludes it', () => {
    const o = order([line('A', 1, 1000), line('B', 1, 2000), line('C', 1, 3000)], { nonCashMinor: 1000 });
    const r = run({ default: { percent: '10' }, excludeNonCash: true }, o);
    expect(r.components.map((c) => c.baseMinor)).toEqual([833, 1667, 2500]); // 1000 split 167/333/500
    expect(run({ default: { percent: '10' } }, o).components.map((c) => c.baseMinor)).toEqual([1000, 2000, 3000]);
  });

  it('scales a discounted line to the quantity kept, rounded once', () => {
    const r = run({ default: { percent: '10' } }, order([line('S', 3, 3333, { discountMinor: 100, refundedQuantity: 1 })]));
    // (3 × 33.33 − 1.00) × 2/3 = 98.99 × 2/3 = 65.993… → 65.99; × 10% = 6.599 → 6.60
    expect(r.components[0]).toMatchObject({ baseMinor: 6599, amountMinor: 660 });
  });

  it.each([
    ['JPY', 1234, '8', 99], // ¥1,234 × 8% = 98.72 → 99
    ['KWD', 12345, '2.5', 309], // 12.345 KWD × 2.5% = 0.308625 → 0.309
    ['EUR', 0, '8', 0],
    ['EUR', 1, '8', 0],
    ['EUR', 6, '8', 0], // 0.48¢ → 0
    ['EUR', 7, '8', 1], // 0.56¢ → 1
  ])('%s: %i minor units at %s percent earn %i', (currency, price, percent, amount) => {
    expect(run({ default: { percent } }, order([line('X', 1, price)], { currency })).total).toBe(amount);
  });

  it('lets a per-affiliate override replace the default and tiers, but not the rules', () => {
    const o = order([line('S1', 1, 10000), line('GIFT-CARD', 1, 5000)]);
    expect(run(designPlan, o, { overrideBp: 1500, monthSalesBeforeMinor: 5_000_000 }).amounts).toMatchObject({
      'line:0': 1500,
      'line:1': 0,
    });
  });
});

describe('exact allocation', () => {
  it('always sums to the total, whatever the weights', () => {
    for (let i = 0; i < 2000; i++) {
      const weights = Array.from({ length: 1 + (i % 7) }, (_, k) => ((i * 7919 + k * 104729) % 100000) + (k === 0 ? 1 : 0));
      const total = (i * 15485863) % 1_000_000;
      const parts = allocateProportionally(total, weights);
      expect(parts.reduce((a, b) => a + b, 0)).toBe(total);
      parts.forEach((p, k) => expect(Math.abs(p - (total * weights[k]!) / weights.reduce((a, b) => a + b, 0))).toBeLessThan(1));
    }
  });
});

describe('rounding once per order (plan rounding: "order")', () => {
  const many = (n: number, unitPriceMinor: number) => Array.from({ length: n }, (_, i) => line(`L${i}`, 1, unitPriceMinor));
  const perOrder = { default: { percent: '2.9' }, rounding: 'order' } as const;
  const perLine = { default: { percent: '2.9' }, rounding: 'line' } as const;

  it('1,000 lines of 0.25 EUR at 2.9 % earn 7.25 EUR, as their 250.00 EUR total does (per line: 10.00)', () => {
    const r = run(perOrder, order(many(1000, 25)));
    expect(r.total).toBe(725);
    // Each line's exact 0.725¢ has the same remainder: the first 725 lines get the cents.
    expect(r.components.filter((c) => c.amountMinor === 1).map((c) => c.lineIndex)).toEqual(
      Array.from({ length: 725 }, (_, i) => i),
    );
    expect(r.components.every((c) => c.amountMinor === 0 || c.amountMinor === 1)).toBe(true);
    expect(run(perLine, order(many(1000, 25))).total).toBe(1000);
  });

  it('1,000 lines of 0.05 EUR at 2.9 % earn 1.45 EUR (per line: 0.00)', () => {
    expect(run(perOrder, order(many(1000, 5))).total).toBe(145);
    expect(run(perLine, order(many(1000, 5))).total).toBe(0);
  });

  it('zero-decimal currencies: 10 lines of ¥30 at 2.9 % earn ¥9 (¥8.70), not ¥10', () => {
    const yen = order(many(10, 30), { currency: 'JPY', shippingMinor: 0 });
    expect(run(perOrder, yen).total).toBe(9);
    expect(run(perLine, yen).total).toBe(10);
  });

  it('allots by largest remainder, ties to the earlier line, and explains a share that differs from its own rounding', () => {
    // 1.00 → 2.9¢ (rem .9), 0.50 → 1.45¢ (rem .45), 0.30 → 0.87¢ (rem .87): 5.22¢ → 5¢.
    const r = run(perOrder, order([line('A', 1, 100), line('B', 1, 50), line('C', 1, 30)]));
    expect(r.amounts).toEqual({ 'line:0': 3, 'line:1': 1, 'line:2': 1 });
    expect(r.total).toBe(5);
    // Per line: 3 + 1 (1.45 → 1) + 1 = 5 here too; B's own rounding (1) is its share: no note.
    expect(r.components[1]!.explanation).not.toContain('allotted');
    const s = run(perOrder, order(many(3, 25)));
    // 3 × 0.725¢ = 2.175¢ → 2¢: lines 0 and 1 get a cent, line 2 none (its own rounding: 1).
    expect(s.amounts).toEqual({ 'line:0': 1, 'line:1': 1, 'line:2': 0 });
    expect(s.components[2]!.explanation).toBe(
      "L2: 1 × 0.25 EUR = 0.25 EUR × 2.9% (default rate) = 0.00 EUR (the order's 0.02 EUR, rounded once and allotted by largest remainder)",
    );
  });

  it('keeps flat lines, bonuses and the cap as their own components; the worked example holds', () => {
    expect(run(perOrder, order([line('X', 1, 500)])).total).toBe(15); // 500¢ × 2.9 % = 14.5¢ → 15¢
    const r = run(
      { default: { percent: '2.9' }, rules: [{ sku: 'F', flat: '1.00' }, { sku: 'F', bonusFlat: '0.50' }], rounding: 'order' },
      order([...many(4, 25), line('F', 2, 999)]),
    );
    // 4 × 0.725¢ = 2.9¢ → 3¢ on the percent lines; 2 × 1.00 flat; the 0.50 bonus.
    expect(r.amounts).toEqual({ 'line:0': 1, 'line:1': 1, 'line:2': 1, 'line:3': 0, 'line:4': 200, 'bonus:1': 50 });
  });

  it('a plan stored without the setting stays per line', () => {
    expect(compilePlan({ default: { percent: '2.9' } }, 'EUR').rounding).toBe('line');
  });
});
