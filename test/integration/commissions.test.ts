import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { orderEvent, sendOrder } from '../support/shop';
import {
  ADMIN_TOKEN,
  approve,
  createAffiliate,
  createLink,
  createMerchant,
  createProgram,
  startTestApp,
  TEST_IP_HEADER,
  type TestApp,
} from '../support/test-app';

let t: TestApp;
let merchant: Awaited<ReturnType<typeof createMerchant>>;
let affiliate: Awaited<ReturnType<typeof createAffiliate>>;
let program: { id: string };
let link: { code: string };

const DAY = 86_400_000;

async function setup(
  plan: Record<string, unknown> = { default: { percent: '8' } },
  options: { parent?: boolean; lockDays?: number; fraudChecks?: object } = {},
) {
  merchant = await createMerchant(t);
  const parent = options.parent ? await createAffiliate(t, 'Team lead') : undefined;
  affiliate = await createAffiliate(t, 'Blog', parent ? { parentId: parent.id } : {});
  program = await createProgram(t, merchant.apiKey, {
    plan,
    lockDays: options.lockDays ?? 14,
    ...(options.fraudChecks ? { fraudChecks: options.fraudChecks } : {}),
  });
  await approve(t, merchant.apiKey, program.id, affiliate.id);
  link = await createLink(t, affiliate.apiKey, { programId: program.id });
  return { parent };
}

async function click(): Promise<string> {
  const response = await t.request(`/c/${link.code}`, {
    headers: { 'user-agent': 'Mozilla/5.0 Chrome/131.0', [TEST_IP_HEADER]: '198.51.100.4' },
  });
  return new URL(response.headers.get('location')!).searchParams.get('clid')!;
}

async function event(type: string, id: string, order: Record<string, unknown>) {
  const response = await sendOrder(
    t,
    merchant.webhookSecret,
    orderEvent(program.id, type, { id, ...order }, t.clock.now().toISOString()),
  );
  expect(response.status).toBe(200);
}

async function batch() {
  const response = await t.request('/v1/admin/batch', {
    method: 'POST',
    key: ADMIN_TOKEN,
    json: { asOf: t.clock.now().toISOString() },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as { entriesAppended: number; statusChanges: number; ordersExamined: number };
}

async function ledger(id: string) {
  const view = (await (await t.request(`/v1/orders/${id}`, { key: merchant.apiKey })).json()) as {
    commission: string;
    ledger: {
      id: string;
      kind: string;
      status: string;
      amount: string;
      rule: string;
      slot: string;
      explanation: string;
      affiliateId: string;
      planVersion: number;
    }[];
  };
  return view;
}

const summary = (entries: { kind: string; status: string; amount: string; slot: string }[]) =>
  entries.map((e) => `${e.slot} ${e.kind} ${e.status} ${e.amount}`);

beforeEach(async () => {
  t = await startTestApp();
});
afterEach(async () => {
  await t.close();
});

describe('the commission lifecycle (P10)', () => {
  it('accrues pending, approves only after completion plus the lock period, never changing the sum', async () => {
    await setup();
    const clickId = await click();
    t.clock.advance(60_000);
    await event('order.paid', 'L-1', { clickId });
    expect(await batch()).toMatchObject({ entriesAppended: 1 });
    let view = await ledger('L-1');
    expect(view.commission).toBe('7.58');
    expect(view.ledger).toEqual([
      expect.objectContaining({
        id: expect.stringMatching(/^\d+:line:0:\d+:1$/),
        kind: 'accrual',
        status: 'pending',
        amount: '7.58',
        rule: 'default',
        planVersion: 1,
        explanation: 'S1: 2 × 49.90 EUR − 5.00 EUR = 94.80 EUR × 8% (default rate) = 7.58 EUR',
      }),
    ]);
    t.clock.advance(DAY);
    await event('order.completed', 'L-1', { clickId });
    t.clock.advance(14 * DAY - 1000);
    await batch();
    expect(summary((await ledger('L-1')).ledger)).toEqual(['line:0 accrual pending 7.58']);
    t.clock.advance(1000);
    expect(await batch()).toMatchObject({ entriesAppended: 0, statusChanges: 1 });
    view = await ledger('L-1');
    expect(summary(view.ledger)).toEqual(['line:0 accrual approved 7.58']);
    expect(view.commission).toBe('7.58');
  });

  it('approves at the next run when the merchant shortens the lock period of an order already waiting', async () => {
    await setup({ default: { percent: '8' } }, { lockDays: 30 });
    const clickId = await click();
    t.clock.advance(60_000);
    await event('order.paid', 'L-2', { clickId });
    await event('order.completed', 'L-2', { clickId });
    t.clock.advance(10 * DAY);
    await batch();
    expect(summary((await ledger('L-2')).ledger)).toEqual(['line:0 accrual pending 7.58']);
    // Ten days after completion, still inside 30; the runs in between saw nothing change.
    t.clock.advance(60_000);
    expect(await batch()).toMatchObject({ ordersExamined: 1, statusChanges: 0 });
    const patched = await t.request(`/v1/programs/${program.id}`, {
      method: 'PATCH',
      key: merchant.apiKey,
      json: { lockDays: 7 },
    });
    expect(patched.status).toBe(200);
    // Its lock period now ended three days ago, before the last run: the run after the change
    // still finds it.
    t.clock.advance(60_000);
    expect(await batch()).toMatchObject({ statusChanges: 1 });
    expect(summary((await ledger('L-2')).ledger)).toEqual(['line:0 accrual approved 7.58']);
  });

  it('reduces the amount on a partial refund before approval and approves the rest', async () => {
    await setup();
    const clickId = await click();
    await event('order.paid', 'R-1', { clickId });
    await batch();
    t.clock.advance(DAY);
    await event('order.refunded', 'R-1', {
      clickId,
      items: [{ sku: 'S1', quantity: 2, unitPrice: '49.90', discount: '5.00', refundedQuantity: 1 }],
    });
    await event('order.completed', 'R-1', {
      clickId,
      items: [{ sku: 'S1', quantity: 2, unitPrice: '49.90', discount: '5.00', refundedQuantity: 1 }],
    });
    await batch();
    expect(summary((await ledger('R-1')).ledger)).toEqual(['line:0 accrual pending 7.58', 'line:0 adjustment pending -3.79']);
    t.clock.advance(15 * DAY);
    await batch();
    const view = await ledger('R-1');
    expect(summary(view.ledger)).toEqual(['line:0 accrual approved 7.58', 'line:0 adjustment approved -3.79']);
    expect(view.commission).toBe('3.79');
  });

  it('reverses everything on a cancellation, exactly', async () => {
    await setup({ default: { percent: '8' }, rules: [{ newCustomer: true, bonusFlat: '5.00' }] });
    const clickId = await click();
    await event('order.paid', 'C-1', { clickId, newCustomer: true });
    await batch();
    await event('order.cancelled', 'C-1', { clickId, newCustomer: true });
    await batch();
    const view = await ledger('C-1');
    expect(summary(view.ledger)).toEqual([
      'line:0 accrual reversed 7.58',
      'bonus:0 accrual reversed 5.00',
      'line:0 reversal reversed -7.58',
      'bonus:0 reversal reversed -5.00',
    ]);
    expect(view.commission).toBe('0.00');
  });

  it('claws back a refund after payout as an approved negative entry', async () => {
    await setup();
    const clickId = await click();
    await event('order.completed', 'P-1', { clickId });
    t.clock.advance(15 * DAY);
    await batch();
    // Payouts are a later issue: mark the entry paid as a payout run would.
    t.store.raw.prepare("UPDATE ledger_entries SET status = 'paid'").run();
    t.clock.advance(DAY);
    await event('order.refunded', 'P-1', {
      clickId,
      items: [{ sku: 'S1', quantity: 2, unitPrice: '49.90', discount: '5.00', refundedQuantity: 2 }],
    });
    await batch();
    expect(summary((await ledger('P-1')).ledger)).toEqual(['line:0 accrual paid 7.58', 'line:0 clawback approved -7.58']);
  });

  it('holds flagged orders until the merchant releases or rejects them', async () => {
    await setup({ default: { percent: '10' } }, { fraudChecks: { minClickToOrderSeconds: 30 } });
    const clickId = await click();
    await event('order.completed', 'H-1', { clickId });
    await event('order.completed', 'H-2', { clickId });
    t.clock.advance(15 * DAY);
    await batch();
    expect(summary((await ledger('H-1')).ledger)).toEqual(['line:0 accrual held 9.48']);
    expect((await t.request('/v1/orders/H-1/release', { method: 'POST', key: merchant.apiKey })).status).toBe(200);
    expect((await t.request('/v1/orders/H-2/reject', { method: 'POST', key: merchant.apiKey })).status).toBe(200);
    expect((await t.request('/v1/orders/H-2/release', { method: 'POST', key: merchant.apiKey })).status).toBe(409);
    await batch();
    expect(summary((await ledger('H-1')).ledger)).toEqual(['line:0 accrual approved 9.48']);
    expect(summary((await ledger('H-2')).ledger)).toEqual(['line:0 accrual reversed 9.48', 'line:0 reversal reversed -9.48']);
  });

  it("gives the recruiter its share as override entries that follow the order's lifecycle", async () => {
    const { parent } = await setup({ default: { percent: '10' }, parentPercent: '10' }, { parent: true });
    const clickId = await click();
    await event('order.paid', 'T-1', { clickId, items: [{ sku: 'S', quantity: 1, unitPrice: '123.45' }] });
    await batch();
    const view = await ledger('T-1');
    // 123.45 × 10% = 12.355 → 12.35 (half away from zero); the recruiter: 12.35 × 10% = 1.245 → 1.24
    expect(view.ledger.map((e) => [e.slot, e.kind, e.amount, e.affiliateId])).toEqual([
      ['line:0', 'accrual', '12.35', affiliate.id],
      ['parent', 'override', '1.24', parent!.id],
    ]);
    expect(view.commission).toBe('12.35');
    await event('order.cancelled', 'T-1', { clickId, items: [{ sku: 'S', quantity: 1, unitPrice: '123.45' }] });
    await batch();
    expect(summary((await ledger('T-1')).ledger)).toEqual([
      'line:0 accrual reversed 12.35',
      'parent override reversed 1.24',
      'line:0 reversal reversed -12.35',
      'parent reversal reversed -1.24',
    ]);
  });

  it('pays an order under the plan in force when it was placed', async () => {
    await setup({ default: { percent: '8' } });
    const clickId = await click();
    await event('order.paid', 'V-1', { clickId, placedAt: t.clock.now().toISOString() });
    t.clock.advance(60_000);
    const patched = await t.request(`/v1/programs/${program.id}`, {
      method: 'PATCH',
      key: merchant.apiKey,
      json: { plan: { default: { percent: '12' } } },
    });
    expect(patched.status).toBe(200);
    t.clock.advance(60_000);
    await event('order.paid', 'V-2', { clickId });
    await batch();
    expect((await ledger('V-1')).ledger.map((e) => [e.amount, e.planVersion])).toEqual([['7.58', 1]]);
    expect((await ledger('V-2')).ledger.map((e) => [e.amount, e.planVersion])).toEqual([['11.38', 2]]);
  });

  it('after a change looks again only at the orders whose tier it moved', async () => {
    // 5 % up to 150.00 of month sales before the order, 10 % above; every order is 94.80.
    await setup({ default: { percent: '5' }, tiers: [{ monthlySalesOver: '150.00', percent: '10' }] });
    const clickId = await click();
    const ids = ['T-A', 'T-B', 'T-C', 'T-D', 'T-E', 'T-F'];
    for (const id of ids) {
      t.clock.advance(60_000);
      await event('order.paid', id, { clickId });
    }
    t.clock.advance(60_000);
    expect((await batch()).ordersExamined).toBe(6);
    const amounts = async () => Promise.all(ids.map(async (id) => (await ledger(id)).commission));
    expect(await amounts()).toEqual(['4.74', '4.74', '9.48', '9.48', '9.48', '9.48']);

    // Cancelling A takes 94.80 out of the sales before every later order: only C falls back
    // under 150.00 (94.80 before it); B stays under, D, E and F stay over.
    t.clock.advance(60_000);
    await event('order.cancelled', 'T-A', { clickId });
    t.clock.advance(60_000);
    const rerun = await batch();
    // A (changed), C (its tier moved) and F (written in the watermark's millisecond, which every
    // run looks at again); not the whole month's six.
    expect(rerun.ordersExamined).toBe(3);
    expect(await amounts()).toEqual(['0.00', '4.74', '4.74', '9.48', '9.48', '9.48']);
    const c = await ledger('T-C');
    expect(c.ledger.map((e) => [e.kind, e.amount, e.rule])).toEqual([
      ['accrual', '9.48', 'tiers[0]'],
      ['adjustment', '-4.74', 'default'],
    ]);
    for (const id of ['T-B', 'T-D', 'T-E', 'T-F']) expect((await ledger(id)).ledger).toHaveLength(1);
  });

  it('moves the later orders of the month when an order placed before them arrives late', async () => {
    await setup({ default: { percent: '5' }, tiers: [{ monthlySalesOver: '150.00', percent: '10' }] });
    const clickId = await click();
    const clickedAt = t.clock.now().getTime();
    const ids = ['L-B', 'L-C', 'L-D'];
    for (const id of ids) {
      t.clock.advance(60_000);
      await event('order.paid', id, { clickId, placedAt: t.clock.now().toISOString() });
    }
    t.clock.advance(60_000);
    await batch();
    const amounts = async (list: string[]) => Promise.all(list.map(async (id) => (await ledger(id)).commission));
    expect(await amounts(ids)).toEqual(['4.74', '4.74', '9.48']);

    // A, placed half a minute after the click and before B, arrives now: 94.80 more before B, C
    // and D. Only C crosses 150.00 (189.60 before it); B stays under, D stays over.
    t.clock.advance(60_000);
    await event('order.paid', 'L-A', { clickId, placedAt: new Date(clickedAt + 30_000).toISOString() });
    t.clock.advance(60_000);
    const rerun = await batch();
    // A (new), C (its tier moved) and D (written in the watermark's millisecond).
    expect(rerun.ordersExamined).toBe(3);
    expect(await amounts(['L-A', ...ids])).toEqual(['4.74', '4.74', '9.48', '9.48']);
    expect((await ledger('L-C')).ledger.map((e) => [e.kind, e.amount, e.rule])).toEqual([
      ['accrual', '4.74', 'default'],
      ['adjustment', '4.74', 'tiers[0]'],
    ]);

    // Refunding A in full takes it out again: C falls back under, and only C moves.
    t.clock.advance(60_000);
    await event('order.refunded', 'L-A', { clickId, placedAt: new Date(clickedAt + 30_000).toISOString() });
    t.clock.advance(60_000);
    expect((await batch()).ordersExamined).toBe(2);
    expect(await amounts(['L-A', ...ids])).toEqual(['0.00', '4.74', '4.74', '9.48']);
  });

  it("applies an affiliate's custom rate only to orders placed after it was set, and shows earnings by state", async () => {
    await setup({ default: { percent: '8' } });
    const clickId = await click();
    await event('order.completed', 'O-1', { clickId });
    t.clock.advance(60_000);
    const rate = await t.request(`/v1/programs/${program.id}/affiliates/${affiliate.id}/rate`, {
      method: 'PUT',
      key: merchant.apiKey,
      json: { percent: '15' },
    });
    expect(rate.status).toBe(200);
    t.clock.advance(60_000);
    await event('order.paid', 'O-2', { clickId });
    await batch();
    expect((await ledger('O-1')).commission).toBe('7.58');
    expect((await ledger('O-2')).commission).toBe('14.22'); // 94.80 × 15%
    expect((await ledger('O-2')).ledger[0]!.rule).toBe('override');
    t.clock.advance(15 * DAY);
    await batch();
    const earnings = await (await t.request('/v1/earnings', { key: affiliate.apiKey })).json();
    expect(earnings).toEqual({
      balances: [{ currency: 'EUR', estimated: '14.22', held: '0.00', settled: '7.58', inPayout: '0.00', paid: '0.00' }],
    });
    const bad = await t.request(`/v1/programs/${program.id}/affiliates/${affiliate.id}/rate`, {
      method: 'PUT',
      key: merchant.apiKey,
      json: { percent: '150' },
    });
    expect(bad.status).toBe(422);
  });

  it('converts an order in another currency once, at the rate in force when placed, and keeps it (P18)', async () => {
    await setup({ default: { percent: '10' } });
    const clickId = await click();
    await event('order.paid', 'FX-1', { clickId, currency: 'USD', items: [{ sku: 'S', quantity: 2, unitPrice: '100.00' }] });
    expect(await batch()).toMatchObject({ entriesAppended: 0, skippedOtherCurrency: 1 });
    const finance = (await (await t.request('/v1/finance-keys', { method: 'POST', key: ADMIN_TOKEN })).json()) as {
      apiKey: string;
    };
    const addRate = (rate: string, effectiveAt: string) =>
      t.request('/v1/fx-rates', {
        method: 'POST',
        key: finance.apiKey,
        json: { base: 'USD', quote: 'EUR', rate, source: 'ECB', effectiveAt },
      });
    expect((await addRate('0.9', '2026-11-24T00:00:00Z')).status).toBe(201);
    expect((await addRate('0.95', '2026-11-24T00:00:00Z')).status).toBe(409);
    await batch();
    let view = (await (await t.request('/v1/orders/FX-1', { key: merchant.apiKey })).json()) as {
      commission: string;
      commissionCurrency: string;
      ledger: { amount: string; currency: string; fx: unknown }[];
    };
    expect(view).toMatchObject({ commission: '18.00', commissionCurrency: 'EUR' });
    expect(view.ledger[0]).toMatchObject({
      amount: '18.00',
      currency: 'EUR',
      fx: { from: 'USD', rate: '0.9', source: 'ECB', effectiveAt: '2026-11-24T00:00:00.000Z' },
    });
    // A rate stored later that would have been "in force" changes nothing already converted.
    expect((await addRate('0.5', '2026-11-25T00:00:00Z')).status).toBe(201);
    await event('order.refunded', 'FX-1', {
      clickId,
      currency: 'USD',
      items: [{ sku: 'S', quantity: 2, unitPrice: '100.00', refundedQuantity: 1 }],
    });
    await batch();
    view = (await (await t.request('/v1/orders/FX-1', { key: merchant.apiKey })).json()) as typeof view;
    expect(view.commission).toBe('9.00'); // 2 × 100.00 USD, 1 kept, at the pinned 0.9
    expect(view.ledger.map((e) => (e.fx as { rate: string }).rate)).toEqual(['0.9', '0.9']);
  });

  it('simulates a proposed plan over a period without writing anything', async () => {
    await setup({ default: { percent: '8' } });
    const clickId = await click();
    await event('order.paid', 'W-1', { clickId });
    await event('order.paid', 'W-2', {
      clickId,
      items: [{ sku: 'TV', category: 'electronics', quantity: 1, unitPrice: '500.00' }],
    });
    await event('order.paid', 'W-3', { items: [{ sku: 'X', quantity: 1, unitPrice: '10.00' }] }); // unattributed
    await batch();
    const entriesBefore = (t.store.raw.prepare('SELECT COUNT(*) AS n FROM ledger_entries').get() as { n: number }).n;
    const response = await t.request(`/v1/programs/${program.id}/plan/simulate`, {
      method: 'POST',
      key: merchant.apiKey,
      json: {
        plan: { default: { percent: '10' }, rules: [{ category: 'electronics', percent: '3' }] },
        from: '2026-11-01',
        to: '2026-11-30',
      },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      programId: program.id,
      currency: 'EUR',
      from: '2026-11-01',
      to: '2026-11-30',
      orders: 2,
      skippedOtherCurrency: 0,
      // current: 94.80 × 8% = 7.58 and 500.00 × 8% = 40.00; proposed: 9.48 and 15.00
      affiliates: [{ affiliateId: affiliate.id, orders: 2, current: '47.58', proposed: '24.48', difference: '-23.10' }],
      totals: { current: '47.58', proposed: '24.48', difference: '-23.10', recruiterCurrent: '0.00', recruiterProposed: '0.00' },
    });
    expect((t.store.raw.prepare('SELECT COUNT(*) AS n FROM ledger_entries').get() as { n: number }).n).toBe(entriesBefore);
    const empty = await t.request(`/v1/programs/${program.id}/plan/simulate`, {
      method: 'POST',
      key: merchant.apiKey,
      json: { plan: { default: { percent: '10' } }, from: '2026-12-01', to: '2026-12-31' },
    });
    expect(await empty.json()).toMatchObject({ orders: 0, affiliates: [] });
    const backwards = await t.request(`/v1/programs/${program.id}/plan/simulate`, {
      method: 'POST',
      key: merchant.apiKey,
      json: { plan: { default: { percent: '10' } }, from: '2026-12-01', to: '2026-11-01' },
    });
    expect(backwards.status).toBe(422);
  });

  it('refuses a batch as of the future, or earlier than the last run', async () => {
    await setup();
    expect(
      (await t.request('/v1/admin/batch', { method: 'POST', key: ADMIN_TOKEN, json: { asOf: t.clock.now().toISOString() } }))
        .status,
    ).toBe(200);
    const earlier = await t.request('/v1/admin/batch', {
      method: 'POST',
      key: ADMIN_TOKEN,
      json: { asOf: new Date(t.clock.now().getTime() - 60_000).toISOString() },
    });
    expect(earlier.status).toBe(422);
    const response = await t.request('/v1/admin/batch', {
      method: 'POST',
      key: ADMIN_TOKEN,
      json: { asOf: new Date(t.clock.now().getTime() + 60_000).toISOString() },
    });
    expect(response.status).toBe(422);
  });
});
