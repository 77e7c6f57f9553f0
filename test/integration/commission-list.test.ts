import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { orderEvent, sendOrder } from '../support/shop';
import {
  ADMIN_TOKEN,
  approve,
  createAffiliate,
  createLink,
  createTenant,
  startTestApp,
  TEST_IP_HEADER,
  type Tenant,
  type TestApp,
} from '../support/test-app';

/**
 * GET /v1/commissions: the ledger as a list, scoped to the caller (merchant: its programs;
 * affiliate: its own entries, no customer data; finance and admin: all), filtered, paged with a
 * cursor and exported as CSV; and an affiliate's own order list carrying its commission.
 */
const DAY = 86_400_000;
let t: TestApp;
let shop: Tenant;
let rival: Tenant;
let other: { id: string; apiKey: string };
let otherLink: { code: string };
let finance: string;

interface Entry {
  id: string;
  orderId: string;
  programId: string;
  affiliateId: string;
  kind: string;
  status: string;
  amount: string;
  currency: string;
  lockDate: string | null;
  createdAt: string;
}

beforeEach(async () => {
  t = await startTestApp();
  shop = await createTenant(t, 'Shop');
  rival = await createTenant(t, 'Rival');
  other = await createAffiliate(t, 'Other blog');
  await approve(t, shop.merchant.apiKey, shop.program.id, other.id);
  otherLink = await createLink(t, other.apiKey, { programId: shop.program.id });
  finance = ((await (await t.request('/v1/finance-keys', { method: 'POST', key: ADMIN_TOKEN })).json()) as { apiKey: string })
    .apiKey;
});
afterEach(() => t.close());

async function order(tenant: Tenant, code: string, id: string, type: string, extra: Record<string, unknown> = {}) {
  const visit = await t.request(`/c/${code}`, {
    headers: { 'user-agent': 'Mozilla/5.0 Chrome/131.0.0.0', [TEST_IP_HEADER]: '198.51.100.7' },
  });
  const clickId = new URL(visit.headers.get('location')!).searchParams.get('clid')!;
  const event = orderEvent(tenant.program.id, type, { id, clickId, customerId: 'cust-secret-42', ...extra }, t.clock.now().toISOString());
  expect((await sendOrder(t, tenant.merchant.webhookSecret, event)).status).toBe(200);
}

async function batch() {
  const response = await t.request('/v1/admin/batch', { method: 'POST', key: ADMIN_TOKEN, json: { asOf: t.clock.now().toISOString() } });
  expect(response.status).toBe(200);
}

async function list(query: string, key: string) {
  const response = await t.request(`/v1/commissions${query ? `?${query}` : ''}`, { key });
  expect([query, response.status]).toEqual([query, 200]);
  return (await response.json()) as { commissions: Entry[]; next: string | null };
}

const summary = (entries: Entry[]) => entries.map((e) => `${e.orderId} ${e.affiliateId} ${e.kind} ${e.status} ${e.amount}`);

/**
 * Day 0: A-1 completed (X), B-1 paid (Y), R-1 completed (the rival's affiliate). Batch: three
 * pending accruals of 94.80 × 8 % = 7.58. Day 15: the lock (14 days) has ended for A-1 and R-1;
 * A-2 (X) completed. Batch: A-1 and R-1 approved, A-2 pending.
 */
async function month() {
  const day0 = t.clock.now();
  await order(shop, shop.link.code, 'A-1', 'order.completed');
  await order(shop, otherLink.code, 'B-1', 'order.paid');
  await order(rival, rival.link.code, 'R-1', 'order.completed');
  await batch();
  t.clock.advance(15 * DAY);
  await order(shop, shop.link.code, 'A-2', 'order.completed', { items: [{ sku: 'TV', quantity: 1, unitPrice: '500.00' }] });
  await batch();
  return { day0: day0.toISOString().slice(0, 10), day15: t.clock.now().toISOString().slice(0, 10), day0Instant: day0.toISOString() };
}

describe('GET /v1/commissions', () => {
  it('scopes entries to the caller and never shows an affiliate customer data', async () => {
    const { day0Instant } = await month();
    const merchant = await list('', shop.merchant.apiKey);
    expect(summary(merchant.commissions)).toEqual([
      `A-1 ${shop.affiliate.id} accrual approved 7.58`,
      `B-1 ${other.id} accrual pending 7.58`,
      `A-2 ${shop.affiliate.id} accrual pending 40.00`,
    ]);
    expect(merchant.next).toBeNull();
    const a1 = merchant.commissions[0]!;
    expect(a1.programId).toBe(shop.program.id);
    expect(a1.currency).toBe('EUR');
    // Completed on day 0, 14 lock days.
    expect(a1.lockDate).toBe(new Date(Date.parse(day0Instant) + 14 * DAY).toISOString());
    expect(merchant.commissions[1]!.lockDate).toBeNull();

    const affiliateResponse = await t.request('/v1/commissions', { key: shop.affiliate.apiKey });
    const text = await affiliateResponse.text();
    expect(text).not.toContain('cust-secret-42');
    expect(text).not.toContain('customer');
    const own = JSON.parse(text) as { commissions: Entry[] };
    expect(summary(own.commissions)).toEqual([
      `A-1 ${shop.affiliate.id} accrual approved 7.58`,
      `A-2 ${shop.affiliate.id} accrual pending 40.00`,
    ]);
    // Asking for someone else's entries finds nothing, not theirs.
    expect((await list(`affiliateId=${other.id}`, shop.affiliate.apiKey)).commissions).toEqual([]);
    expect((await list(`programId=${rival.program.id}`, shop.affiliate.apiKey)).commissions).toEqual([]);
    expect((await list(`programId=${rival.program.id}`, shop.merchant.apiKey)).commissions).toEqual([]);

    const all = await list('', finance);
    expect(summary(all.commissions)).toEqual([
      `A-1 ${shop.affiliate.id} accrual approved 7.58`,
      `B-1 ${other.id} accrual pending 7.58`,
      `R-1 ${rival.affiliate.id} accrual approved 7.58`,
      `A-2 ${shop.affiliate.id} accrual pending 40.00`,
    ]);
    expect((await list('', ADMIN_TOKEN)).commissions).toHaveLength(4);
  });

  it('filters by program, affiliate, order, status, kind, currency and entry or lock date, paging with a cursor', async () => {
    const { day0, day15 } = await month();
    const orders = async (query: string, key = shop.merchant.apiKey) => (await list(query, key)).commissions.map((e) => e.orderId);
    expect(await orders(`affiliateId=${shop.affiliate.id}`)).toEqual(['A-1', 'A-2']);
    expect(await orders(`affiliateId=${other.id}`)).toEqual(['B-1']);
    expect(await orders(`programId=${shop.program.id}`)).toEqual(['A-1', 'B-1', 'A-2']);
    expect(await orders('orderId=A-2')).toEqual(['A-2']);
    expect(await orders('status=approved')).toEqual(['A-1']);
    expect(await orders('status=pending')).toEqual(['B-1', 'A-2']);
    expect(await orders('status=approved', finance)).toEqual(['A-1', 'R-1']);
    expect(await orders('kind=accrual&status=pending')).toEqual(['B-1', 'A-2']);
    expect(await orders('kind=clawback')).toEqual([]);
    expect(await orders('currency=EUR')).toEqual(['A-1', 'B-1', 'A-2']);
    expect(await orders('currency=USD')).toEqual([]);
    // Entry dates: A-1 and B-1 were written on day 0, A-2 on day 15.
    expect(await orders(`from=${day0}&to=${day0}`)).toEqual(['A-1', 'B-1']);
    expect(await orders(`from=${day15}`)).toEqual(['A-2']);
    // Lock dates: A-1's ends on day 14, A-2's on day 29; B-1 is not completed, so it has none.
    const day = (n: number) => new Date(Date.parse(day0) + n * DAY).toISOString().slice(0, 10);
    expect(await orders(`dateBy=lock&from=${day(14)}&to=${day(14)}`)).toEqual(['A-1']);
    expect(await orders(`dateBy=lock&from=${day(15)}`)).toEqual(['A-2']);
    expect(await orders(`dateBy=lock&to=${day(30)}`)).toEqual(['A-1', 'A-2']);

    const seen: string[] = [];
    let after = '';
    let pages = 0;
    for (;;) {
      const page = await list(`limit=1&programId=${shop.program.id}${after ? `&after=${after}` : ''}`, shop.merchant.apiKey);
      seen.push(...page.commissions.map((e) => e.orderId));
      pages += 1;
      if (!page.next) break;
      after = page.next;
    }
    expect(seen).toEqual(['A-1', 'B-1', 'A-2']);
    expect(pages).toBe(4); // three full pages of one, then an empty last page
  });

  it('refuses what it does not understand with 422', async () => {
    for (const query of [
      'affiliateld=aff_3',
      'affiliateId=prg_1',
      'programId=aff_1',
      'status=settled',
      'kind=bonus',
      'currency=EURO',
      'from=2026-13-01',
      'from=2026-11-10&to=2026-11-01',
      'dateBy=paid',
      'after=abc',
      'format=xlsx',
      'limit=0',
    ]) {
      const response = await t.request(`/v1/commissions?${query}`, { key: shop.merchant.apiKey });
      expect([query, response.status]).toEqual([query, 422]);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('validation_failed');
    }
  });

  it('exports every matching entry as CSV through the one neutraliser', async () => {
    await order(shop, shop.link.code, '=HYPERLINK("http://evil")', 'order.completed');
    await order(shop, otherLink.code, ';@SUM(1)', 'order.paid');
    await order(rival, rival.link.code, 'R-1', 'order.completed');
    await batch();
    const response = await t.request('/v1/commissions?format=csv&limit=1', { key: shop.merchant.apiKey });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const lines = (await response.text()).trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'id,orderId,programId,affiliateId,slot,kind,status,amount,currency,base,rate,rule,planVersion,lockDate,createdAt,statusChangedAt,explanation',
    );
    // Both of the merchant's entries, though limit=1: a CSV holds them all; the rival's is not there.
    expect(lines).toHaveLength(3);
    expect(lines[1]).toContain(`,"'=HYPERLINK(""http://evil"")",${shop.program.id},${shop.affiliate.id},line:0,accrual,pending,7.58,EUR,94.80,8,`);
    expect(lines[2]).toContain(`,';@SUM(1),${shop.program.id},${other.id},`);
    const own = (await (await t.request('/v1/commissions?format=csv', { key: other.apiKey })).text()).trimEnd().split('\r\n');
    expect(own).toHaveLength(2);
    const empty = await t.request('/v1/commissions?format=csv&status=paid', { key: shop.merchant.apiKey });
    expect((await empty.text()).split('\r\n').filter(Boolean)).toHaveLength(1);
  });
});

describe("an affiliate's order list", () => {
  it('carries its own commission per order: estimated, settled, status and lock date', async () => {
    const { day0Instant } = await month();
    const response = await t.request('/v1/orders', { key: shop.affiliate.apiKey });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).not.toContain('cust-secret-42');
    const body = JSON.parse(text) as { orders: { id: string; commission: unknown }[] };
    expect(body.orders.map((o) => [o.id, o.commission])).toEqual([
      [
        'A-1',
        {
          currency: 'EUR',
          estimated: '0.00',
          settled: '7.58',
          status: 'approved',
          lockDate: new Date(Date.parse(day0Instant) + 14 * DAY).toISOString(),
        },
      ],
      [
        'A-2',
        {
          currency: 'EUR',
          estimated: '40.00',
          settled: '0.00',
          status: 'pending',
          lockDate: new Date(Date.parse(day0Instant) + 29 * DAY).toISOString(),
        },
      ],
    ]);
    // The merchant's list is unchanged: no commission field there.
    const merchant = (await (await t.request('/v1/orders', { key: shop.merchant.apiKey })).json()) as { orders: object[] };
    expect(merchant.orders.every((o) => !('commission' in o))).toBe(true);
  });
});
