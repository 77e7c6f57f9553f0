import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WOO_LINE_SHOES, WOO_ORDER_ID, wooBody, wooLine, wooOrder, wooRestRefund } from '../fixtures/woocommerce';
import { platformSignature, sendWoo, setConnectorSecret } from '../support/connectors';
import { ADMIN_TOKEN, createTenant, startTestApp, TEST_IP_HEADER, type Tenant, type TestApp } from '../support/test-app';

const SECRET = 'woo webhook secret typed by the merchant';
const ID = String(WOO_ORDER_ID);

/** The shop's REST API as the connector sees it: answers are set per test, calls are recorded. */
const restCalls: { url: string; authorization: string | null }[] = [];
let restAnswer: () => Response = () => new Response('not configured', { status: 500 });
const fakeFetch = (async (input: string | URL | Request, init?: RequestInit) => {
  restCalls.push({ url: String(input), authorization: new Headers(init?.headers).get('authorization') });
  return restAnswer();
}) as typeof fetch;

let t: TestApp;
let tenant: Tenant;
beforeEach(async () => {
  restCalls.length = 0;
  t = await startTestApp({ fetch: fakeFetch });
  tenant = await createTenant(t);
  await setConnectorSecret(t, tenant.merchant.apiKey, tenant.program.id, 'woocommerce', { secret: SECRET });
});
afterEach(async () => {
  await t.close();
});

const count = (table: string) => (t.store.raw.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
const send = (topic: string, body: unknown, options: Parameters<typeof sendWoo>[5] = {}) =>
  sendWoo(t, tenant.program.id, SECRET, topic, typeof body === 'string' ? body : wooBody(body), options);
async function json(response: Response) {
  return (await response.json()) as Record<string, any>;
}
async function click(): Promise<string> {
  const response = await t.request(`/c/${tenant.link.code}`, {
    headers: { 'user-agent': 'Mozilla/5.0 Chrome/131.0.0.0', [TEST_IP_HEADER]: '198.51.100.1' },
  });
  return new URL(response.headers.get('location')!).searchParams.get('clid')!;
}
/** The order after a commission batch at the end of November. */
async function settled() {
  t.clock.current = new Date('2026-11-30T00:00:00Z');
  expect(
    (await t.request('/v1/admin/batch', { method: 'POST', key: ADMIN_TOKEN, json: { asOf: t.clock.now().toISOString() } }))
      .status,
  ).toBe(200);
  return json(await t.request(`/v1/orders/${ID}`, { key: tenant.merchant.apiKey }));
}
const withClick = (clickId: string, over: Record<string, unknown> = {}) =>
  wooOrder({
    meta_data: [
      { id: 13549, key: 'is_vat_exempt', value: 'no' },
      { id: 13551, key: 'clickledger_clid', value: clickId },
    ],
    ...over,
  });
const processing = {
  status: 'processing',
  date_paid: '2026-11-25T12:00:05',
  date_paid_gmt: '2026-11-25T11:00:05',
  date_modified_gmt: '2026-11-25T11:00:05',
};

describe('WooCommerce connector', () => {
  it('answers the unsigned ping WooCommerce sends when the webhook is saved, and stores nothing', async () => {
    const ping = await t.request(`/v1/connectors/woocommerce/${tenant.program.id}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'user-agent': 'WooCommerce/9.4.2 Hookshot (WordPress/6.7.1)',
      },
      body: 'webhook_id=12',
    });
    expect(ping.status).toBe(200);
    expect(await ping.json()).toEqual({ pong: true });
    const unknown = await t.request('/v1/connectors/woocommerce/prg_999', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'webhook_id=12',
    });
    expect(unknown.status).toBe(404);
    expect(count('connector_orders') + count('orders')).toBe(0);
  });

  it('order.created: unit price is subtotal ÷ quantity, discount subtotal − total, the click id from meta_data; slashes arrive escaped', async () => {
    const clickId = await click();
    const body = wooBody(withClick(clickId));
    expect(body).toContain('https:\\/\\/shop.example\\/wp-json\\/wc\\/v3\\/orders\\/727');
    const response = await send('order.created', body);
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({
      id: ID,
      programId: tenant.program.id,
      status: 'created',
      attribution: { affiliateId: tenant.affiliate.id, method: 'click', reason: 'valid_click', held: false },
      duplicate: false,
      connector: {
        platform: 'woocommerce',
        clickIdSource: 'meta_data[1].clickledger_clid',
        refundMethod: 'none',
        refunds: [],
        notes: [],
      },
    });
    expect(await settled()).toMatchObject({
      placedAt: '2026-11-25T11:00:00.000Z',
      shipping: '4.90',
      tax: '18.94',
      customer: { id: '26' },
      items: [{ sku: 'S1', quantity: 2, unitPrice: '49.90', discount: '5.00', base: '94.80' }],
      commission: '7.58',
    });
  });

  it('attributes by the coupon code, which WooCommerce sends lower-cased', async () => {
    await t.request('/v1/coupons', {
      method: 'POST',
      key: tenant.merchant.apiKey,
      json: { programId: tenant.program.id, code: 'BLOG5', affiliateId: tenant.affiliate.id },
    });
    expect((await json(await send('order.created', wooOrder()))).attribution).toEqual({
      affiliateId: tenant.affiliate.id,
      method: 'coupon',
      reason: 'coupon',
      held: false,
    });
  });

  it('keeps the base exact when the subtotal is not a whole amount per unit, and says so', async () => {
    const line = wooLine({ quantity: 3, subtotal: '10.00', total: '10.00', price: 3.333333 });
    const response = await send('order.created', wooOrder({ line_items: [line], coupon_lines: [] }));
    expect((await json(response)).connector.notes).toEqual([
      'line_items[0]: subtotal 10.00 ÷ 3 is not a whole amount: unit price rounded up, the difference counted as discount',
    ]);
    expect((await settled()).items).toMatchObject([{ quantity: 3, unitPrice: '3.34', discount: '0.02', base: '10.00' }]);
  });

  it('maps processing, completed, cancelled and refunded, with the times WooCommerce gives', async () => {
    await send('order.created', wooOrder());
    expect((await json(await send('order.updated', wooOrder(processing)))).status).toBe('paid');
    const completed = {
      ...processing,
      status: 'completed',
      date_completed_gmt: '2026-11-26T08:00:00',
      date_modified_gmt: '2026-11-26T08:00:02',
    };
    expect((await json(await send('order.updated', wooOrder(completed)))).status).toBe('completed');
    expect(await settled()).toMatchObject({ paidAt: '2026-11-25T11:00:05.000Z', completedAt: '2026-11-26T08:00:00.000Z' });
    const refunded = {
      ...completed,
      status: 'refunded',
      date_modified_gmt: '2026-11-27T09:00:00',
      refunds: [{ id: 731, reason: '', total: '-118.64' }],
    };
    expect(await json(await send('order.updated', wooOrder(refunded)))).toMatchObject({
      status: 'refunded',
      connector: { refunds: ['731'] },
    });
    const cancelled = { ...refunded, status: 'cancelled', date_modified_gmt: '2026-11-27T10:00:00' };
    expect((await json(await send('order.updated', wooOrder(cancelled)))).status).toBe('cancelled');
  });

  it('reduces the base in proportion to a partial refund net of tax when it cannot see the lines', async () => {
    await send('order.created', withClick(await click(), processing));
    // 23.72 refunded with tax: 23.72 × (118.64 − 18.94) ÷ 118.64 = 19.933… → 19.93 off the base
    const refunded = withClick('', {
      ...processing,
      date_modified_gmt: '2026-11-27T09:00:00',
      refunds: [{ id: 730, reason: 'Kulanz', total: '-23.72' }],
    });
    const response = await send('order.updated', refunded);
    expect(await json(response)).toMatchObject({ status: 'paid', connector: { refundMethod: 'proportional', refunds: ['730'] } });
    const order = await settled();
    expect(order.items).toMatchObject([
      { refundedQuantity: 0, refundedAmount: '19.93', base: '94.80', baseAfterRefunds: '74.87' },
    ]);
    expect(order.refunded).toBe('19.93');
    expect(order.connector).toEqual({
      platform: 'woocommerce',
      clickIdSource: null,
      refundMethod: 'proportional',
      refunds: ['730'],
      notes: [],
    });
    // 74.87 × 8% = 5.9896 → 5.99
    expect(order.commission).toBe('5.99');
    expect(order.ledger.at(-1).explanation).toBe(
      'S1: 2 × 49.90 EUR − 5.00 EUR − 19.93 EUR refunded = 74.87 EUR × 8% (default rate) = 5.99 EUR',
    );
    expect(restCalls).toEqual([]);
  });

  it('with REST credentials, takes the refunded lines from the shop instead, and replaces an earlier proportional estimate', async () => {
    const clickId = await click();
    const refundedDoc = wooOrder({
      ...withClick(clickId, processing),
      date_modified_gmt: '2026-11-27T09:00:00',
      refunds: [{ id: 730, reason: '', total: '-56.41' }],
    });
    // Without credentials first: the proportional estimate.
    expect((await json(await send('order.updated', refundedDoc))).connector.refundMethod).toBe('proportional');
    await setConnectorSecret(t, tenant.merchant.apiKey, tenant.program.id, 'woocommerce', {
      secret: SECRET,
      restApi: { baseUrl: 'https://shop.example/', consumerKey: 'ck_0123', consumerSecret: 'cs_4567' },
    });
    restAnswer = () => Response.json([wooRestRefund(730, [{ lineId: WOO_LINE_SHOES, quantity: 1, subtotal: '47.40' }])]);
    const again = wooOrder({ ...refundedDoc, date_modified_gmt: '2026-11-27T09:05:00' });
    expect(await json(await send('order.updated', again))).toMatchObject({
      connector: { refundMethod: 'rest_line_detail', refunds: ['730'], notes: [] },
    });
    expect(restCalls).toEqual([
      {
        url: 'https://shop.example/wp-json/wc/v3/orders/727/refunds?per_page=100',
        authorization: `Basic ${btoa('ck_0123:cs_4567')}`,
      },
    ]);
    const order = await settled();
    expect(order.items).toEqual([expect.not.objectContaining({ refundedAmount: expect.anything() })]);
    expect(order.items).toMatchObject([{ refundedQuantity: 1, baseAfterRefunds: '47.40' }]);
    expect(order.commission).toBe('3.79'); // 47.40 × 8%, the estimate not added on top
    // Known in detail now: the next delivery does not ask again.
    await send('order.updated', wooOrder({ ...again, date_modified_gmt: '2026-11-27T09:10:00' }));
    expect(restCalls).toHaveLength(1);
  });

  it('falls back to the proportional reduction when the REST lookup fails, and says why', async () => {
    await setConnectorSecret(t, tenant.merchant.apiKey, tenant.program.id, 'woocommerce', {
      secret: SECRET,
      restApi: { baseUrl: 'https://shop.example', consumerKey: 'ck_0123', consumerSecret: 'cs_4567' },
    });
    restAnswer = () => new Response('{"code":"woocommerce_rest_cannot_view"}', { status: 401 });
    const response = await send(
      'order.updated',
      wooOrder({ ...processing, refunds: [{ id: 730, reason: '', total: '-23.72' }] }),
    );
    expect((await json(response)).connector).toMatchObject({
      refundMethod: 'proportional',
      notes: ['REST refund lookup answered 401: refunds reduced in proportion instead'],
    });
  });

  it('sends REST credentials only to a public https host name, and reads at most 1 MiB of its answer', async () => {
    for (const baseUrl of [
      'http://shop.example',
      'https://127.0.0.1',
      'https://[::1]',
      'https://localhost',
      'https://metadata.google.internal',
      'https://shop.example:8443',
      'https://u:p@shop.example',
    ]) {
      const response = await t.request(`/v1/programs/${tenant.program.id}/connectors/woocommerce`, {
        method: 'PUT',
        key: tenant.merchant.apiKey,
        json: { secret: SECRET, restApi: { baseUrl, consumerKey: 'ck', consumerSecret: 'cs' } },
      });
      expect([baseUrl, response.status]).toEqual([baseUrl, 422]);
    }
    expect(count('connector_rest_credentials')).toBe(0);
    await setConnectorSecret(t, tenant.merchant.apiKey, tenant.program.id, 'woocommerce', {
      secret: SECRET,
      restApi: { baseUrl: 'https://shop.example', consumerKey: 'ck_0123', consumerSecret: 'cs_4567' },
    });
    restAnswer = () =>
      new Response(`[${' '.repeat(2 * 1024 * 1024)}]`, { status: 200, headers: { 'content-type': 'application/json' } });
    const response = await send(
      'order.updated',
      wooOrder({ ...processing, refunds: [{ id: 730, reason: '', total: '-23.72' }] }),
    );
    expect((await json(response)).connector).toMatchObject({
      refundMethod: 'proportional',
      notes: ['REST refund lookup failed (the answer is larger than 1048576 bytes): refunds reduced in proportion instead'],
    });
  });

  it('order.deleted cancels the order, also when it arrives before the order', async () => {
    const early = await send('order.deleted', { id: WOO_ORDER_ID });
    expect(early.status).toBe(202);
    expect(count('orders')).toBe(0);
    const clickId = await click();
    expect(await json(await send('order.created', withClick(clickId, processing)))).toMatchObject({
      status: 'cancelled',
      attribution: { method: 'click' },
    });
    // Cancelled before anything accrued: nothing is ever owed for it.
    expect(await settled()).toMatchObject({ status: 'cancelled', commission: null, ledger: [] });
  });

  it('refuses a wrong or missing signature with 401 and stores nothing; the old secret verifies during a rotation', async () => {
    const body = wooBody(wooOrder());
    expect((await send('order.created', body, { signature: platformSignature('wrong', body) })).status).toBe(401);
    expect((await send('order.created', body, { signature: null })).status).toBe(401);
    expect(count('orders') + count('connector_orders')).toBe(0);
    await setConnectorSecret(t, tenant.merchant.apiKey, tenant.program.id, 'woocommerce', {
      secret: 'the new secret 123',
      graceSeconds: 60,
    });
    expect((await send('order.created', body)).status).toBe(200);
    t.clock.advance(61_000);
    expect((await send('order.updated', wooBody(wooOrder(processing)))).status).toBe(401);
  });

  it('makes one conversion of a re-sent delivery, whatever its delivery id (P4)', async () => {
    const body = wooBody(wooOrder(processing));
    expect(await json(await send('order.updated', body, { deliveryId: 'd-1' }))).toMatchObject({ duplicate: false });
    expect(await json(await send('order.updated', body, { deliveryId: 'd-1' }))).toMatchObject({ duplicate: true });
    expect(await json(await send('order.updated', body, { deliveryId: 'd-2' }))).toMatchObject({ duplicate: true });
    expect(count('orders')).toBe(1);
    expect(count('order_events')).toBe(1);
  });

  it('converges whatever order the deliveries arrive in (P8)', async () => {
    const finals = new Set<string>();
    for (const permutation of [
      [0, 1, 2],
      [2, 1, 0],
      [1, 2, 0],
      [2, 0, 1],
    ]) {
      await t.close();
      t = await startTestApp({ fetch: fakeFetch });
      tenant = await createTenant(t);
      await setConnectorSecret(t, tenant.merchant.apiKey, tenant.program.id, 'woocommerce', { secret: SECRET });
      const clickId = await click();
      const refunds = [{ id: 730, reason: '', total: '-23.72' }];
      const deliveries = [
        withClick(clickId),
        withClick(clickId, { ...processing, date_modified_gmt: '2026-11-25T11:30:00', refunds }),
        withClick(clickId, {
          ...processing,
          status: 'completed',
          date_completed_gmt: '2026-11-26T08:00:00',
          date_modified_gmt: '2026-11-26T08:00:02',
          refunds,
        }),
      ];
      for (const i of permutation)
        expect((await send(i === 0 ? 'order.created' : 'order.updated', deliveries[i]!)).status).toBe(200);
      const o = await settled();
      finals.add(JSON.stringify([o.status, o.paidAt, o.completedAt, o.refunded, o.commission]));
    }
    expect([...finals]).toEqual([
      JSON.stringify(['completed', '2026-11-25T11:00:05.000Z', '2026-11-26T08:00:00.000Z', '19.93', '5.99']),
    ]);
  });

  it('refuses what it cannot map with 422', async () => {
    expect(await json(await send('order.created', wooOrder({ status: 'shipped' })))).toEqual({
      error: { code: 'validation_failed', message: 'status shipped is not a WooCommerce order status' },
    });
    expect((await send('order.created', wooOrder({ line_items: [wooLine({ total: '120.00' })] }))).status).toBe(422);
    expect(count('orders') + count('connector_orders')).toBe(0);
  });
});
