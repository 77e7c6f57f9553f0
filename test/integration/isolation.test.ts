import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAttributedOrders } from '../support/seed-orders';
import { ADMIN_TOKEN, createTenant, startTestApp, type Tenant, type TestApp } from '../support/test-app';

/**
 * Issue 21 item 1: a heavy request works in time slices, so a timer (a redirect's turn) runs
 * while it works; and one tenant may run at most two heavy requests at once, the next one 429
 * with Retry-After, another tenant unaffected.
 */
let t: TestApp;
let a: Tenant;
let b: Tenant;
const ORDERS = 4000;
beforeAll(async () => {
  t = await startTestApp();
  a = await createTenant(t, 'A');
  b = await createTenant(t, 'B');
  await seedAttributedOrders(t, a, ORDERS);
  await seedAttributedOrders(t, b, 10);
});
afterAll(() => t.close());

function simulate(tenant: Tenant) {
  return t.request(`/v1/programs/${tenant.program.id}/plan/simulate`, {
    method: 'POST',
    key: tenant.merchant.apiKey,
    json: { plan: { default: { percent: '10' } }, from: '2025-11-25', to: '2026-11-25' },
  });
}

describe('heavy requests', () => {
  it('a what-if over thousands of orders lets a timer scheduled before it run before it returns', async () => {
    // A timer ticking through the what-if: held for the whole request, it would tick once at most.
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const response = await simulate(a);
    clearInterval(timer);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { orders: number; totals: { current: string; proposed: string } };
    expect(body.orders).toBe(ORDERS);
    // 94.80 per order: 8% now, 10% proposed, exact in cents.
    expect(body.totals).toMatchObject({ current: (ORDERS * 7.58).toFixed(2), proposed: (ORDERS * 9.48).toFixed(2) });
    expect(ticks).toBeGreaterThanOrEqual(3);
  });

  it('refuses a third heavy request of one tenant with 429 and Retry-After; another tenant is unaffected', async () => {
    const [first, second, third, other] = await Promise.all([simulate(a), simulate(a), simulate(a), simulate(b)]);
    expect([first.status, second.status, third.status, other.status]).toEqual([200, 200, 429, 200]);
    expect(third.headers.get('retry-after')).toBe('1');
    expect(((await third.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
    // The places are given back: the tenant may run heavy requests again.
    expect((await simulate(a)).status).toBe(200);
  });

  it("reads a payout run's detail a page at a time, every entry once", async () => {
    t.clock.advance(15 * 86_400_000);
    expect((await t.request('/v1/admin/batch', { method: 'POST', key: ADMIN_TOKEN, json: {} })).status).toBe(200);
    const finance = (await (await t.request('/v1/finance-keys', { method: 'POST', key: ADMIN_TOKEN })).json()) as {
      apiKey: string;
    };
    const created = await t.request('/v1/payouts', {
      method: 'POST',
      key: finance.apiKey,
      json: { asOf: t.clock.now().toISOString(), minimumAmount: '0.01' },
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const detail = (await (await t.request(`/v1/payouts/${id}`, { key: finance.apiKey })).json()) as {
      lines: { affiliateId: string; amount: string; entries: string[] }[];
    };
    expect(detail.lines.map((l) => [l.affiliateId, l.entries.length, l.amount])).toEqual([
      [a.affiliate.id, ORDERS, (ORDERS * 7.58).toFixed(2)],
      [b.affiliate.id, 10, '75.80'],
    ]);
    const entries = detail.lines.flatMap((l) => l.entries);
    expect(new Set(entries).size).toBe(ORDERS + 10);
    expect(entries.slice(0, ORDERS)).toEqual([...entries.slice(0, ORDERS)].sort());
  });
});
