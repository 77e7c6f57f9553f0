import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createTenant, startTestApp, type Tenant, type TestApp } from '../support/test-app';

/**
 * Offline (O2O) sales, reported through the postback with a coupon and, for a store sale, the
 * store. The default plan pays 8 %:
 *   O-1 coupon SPRING10, online          120.00 → 9.60
 *   O-2 coupon WINTER5,  online           33.30 → 2.664 → 2.66
 *   O-3 coupon SPRING10, store BER-1      19.90 → 1.592 → 1.59
 * by coupon: SPRING10 2 orders 139.90 / 11.19, WINTER5 1 order 33.30 / 2.66
 * by store:  '' (online) 2 orders 153.30 / 12.26, BER-1 1 order 19.90 / 1.59
 * by sub1:   O-3 carries sub1=flyer-dec on the postback (it has no click to take one from)
 */
let t: TestApp;
let tenant: Tenant;
let day: string;
let token: string;

interface Row {
  key: string;
  clicks: number;
  orders: number;
  revenue: string;
  commission: string;
}

beforeAll(async () => {
  t = await startTestApp({}, { clickhouse: true });
  tenant = await createTenant(t);
  day = t.clock.now().toISOString().slice(0, 10);
  ({ token } = (await (
    await t.request('/v1/postback-tokens', { method: 'POST', key: tenant.merchant.apiKey })
  ).json()) as { token: string });
  for (const code of ['SPRING10', 'WINTER5']) {
    const coupon = await t.request('/v1/coupons', {
      method: 'POST',
      key: tenant.merchant.apiKey,
      json: { programId: tenant.program.id, code, affiliateId: tenant.affiliate.id },
    });
    expect(coupon.status).toBe(201);
  }
  const sales: Record<string, string>[] = [
    { orderId: 'O-1', amount: '120.00', coupon: 'SPRING10', newCustomer: 'true' },
    { orderId: 'O-2', amount: '33.30', coupon: 'WINTER5' },
    { orderId: 'O-3', amount: '19.90', coupon: 'SPRING10', storeId: 'BER-1', newCustomer: '0', sub1: 'flyer-dec' },
  ];
  for (const sale of sales) {
    const query = new URLSearchParams({ token, programId: tenant.program.id, currency: 'EUR', ...sale });
    const response = await t.request(`/postback?${query}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ attribution: { affiliateId: tenant.affiliate.id, method: 'coupon' } });
  }
  const batch = await t.request('/v1/admin/batch', { method: 'POST', key: ADMIN_TOKEN, json: { asOf: t.clock.now().toISOString() } });
  expect(batch.status).toBe(200);
}, 60_000);

afterAll(async () => {
  await t?.close();
});

async function report(query: string) {
  const response = await t.request(`/v1/reports/summary?from=${day}&to=${day}&${query}`, { key: tenant.merchant.apiKey });
  return { status: response.status, body: (await response.json()) as { rows: Row[]; error?: { code: string } } };
}

const figures = (rows: Row[]) => rows.map((r) => [r.key, r.clicks, r.orders, r.revenue, r.commission]);

describe('offline (O2O) sales in reports', () => {
  it('groups orders, revenue and commission by coupon', async () => {
    const byCoupon = await report('groupBy=coupon');
    expect(byCoupon.status).toBe(200);
    expect(figures(byCoupon.body.rows)).toEqual([
      ['SPRING10', 0, 2, '139.90', '11.19'],
      ['WINTER5', 0, 1, '33.30', '2.66'],
    ]);
  });

  it('groups them by store, online sales under the empty store', async () => {
    const byStore = await report('groupBy=store');
    expect(byStore.status).toBe(200);
    expect(figures(byStore.body.rows)).toEqual([
      ['', 0, 2, '153.30', '12.26'],
      ['BER-1', 0, 1, '19.90', '1.59'],
    ]);
  });

  it('pages a coupon report with a cursor', async () => {
    const first = await t.request(`/v1/reports/summary?from=${day}&to=${day}&groupBy=coupon&limit=1`, { key: tenant.merchant.apiKey });
    const body = (await first.json()) as { rows: Row[]; next: string | null };
    expect(first.status).toBe(200);
    expect(body.rows.map((r) => r.key)).toEqual(['SPRING10']);
    const second = await report(`groupBy=coupon&limit=1&after=${encodeURIComponent(body.next!)}`);
    expect(second.body.rows.map((r) => r.key)).toEqual(['WINTER5']);
  });

  it("reports the postback's own sub-ids for a sale with no click", async () => {
    const bySub = await report('groupBy=sub1');
    expect(figures(bySub.body.rows)).toEqual([
      ['', 0, 2, '153.30', '12.26'],
      ['flyer-dec', 0, 1, '19.90', '1.59'],
    ]);
  });

  it('keeps the store and the new-customer flag on the order', async () => {
    const view = (await (await t.request('/v1/orders/O-1', { key: tenant.merchant.apiKey })).json()) as {
      customer: { newCustomer: boolean | null };
    };
    expect(view.customer.newCustomer).toBe(true);
    const row = t.store.raw.prepare("SELECT store_id, new_customer FROM orders WHERE external_id = 'O-3'").get();
    expect(row).toEqual({ store_id: 'BER-1', new_customer: 0 });
  });

  it('refuses an unknown groupBy and a malformed newCustomer', async () => {
    const unknown = await report('groupBy=region');
    expect([400, 422]).toContain(unknown.status);
    const query = new URLSearchParams({ token, programId: tenant.program.id, orderId: 'O-9', amount: '1.00', currency: 'EUR' });
    const malformed = await t.request(`/postback?${query}&newCustomer=yes`);
    expect(malformed.status).toBe(422);
    expect(t.store.raw.prepare("SELECT count(*) AS n FROM orders WHERE external_id = 'O-9'").get()).toEqual({ n: 0 });
  });
});
