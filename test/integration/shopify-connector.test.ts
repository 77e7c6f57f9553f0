import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  LINE_GIFT,
  LINE_SHOES,
  LINE_SOCKS,
  ORDER_ID,
  big,
  shopifyBody,
  shopifyLine,
  shopifyOrder,
  shopifyRefund,
  shopifyRefundLine,
} from '../fixtures/shopify';
import { platformSignature, sendShopify, setConnectorSecret } from '../support/connectors';
import { ADMIN_TOKEN, createTenant, startTestApp, TEST_IP_HEADER, type Tenant, type TestApp } from '../support/test-app';

const SECRET = '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';

let t: TestApp;
let tenant: Tenant;
beforeEach(async () => {
  t = await startTestApp();
  tenant = await createTenant(t);
  await setConnectorSecret(t, tenant.merchant.apiKey, tenant.program.id, 'shopify', { secret: SECRET });
});
afterEach(async () => {
  await t.close();
});

const count = (table: string) => (t.store.raw.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
const send = (topic: string, body: unknown, options: Parameters<typeof sendShopify>[5] = {}) =>
  sendShopify(t, tenant.program.id, SECRET, topic, typeof body === 'string' ? body : shopifyBody(body), options);

async function json(response: Response) {
  return (await response.json()) as Record<string, any>;
}
async function order(id = ORDER_ID) {
  return json(await t.request(`/v1/orders/${id}`, { key: tenant.merchant.apiKey }));
}
async function click(): Promise<string> {
  const response = await t.request(`/c/${tenant.link.code}`, {
    headers: { 'user-agent': 'Mozilla/5.0 Chrome/131.0.0.0', [TEST_IP_HEADER]: '198.51.100.1' },
  });
  return new URL(response.headers.get('location')!).searchParams.get('clid')!;
}
async function batch() {
  const response = await t.request('/v1/admin/batch', {
    method: 'POST',
    key: ADMIN_TOKEN,
    json: { asOf: t.clock.now().toISOString() },
  });
  expect(response.status).toBe(200);
}

describe('Shopify connector', () => {
  it('orders/create: maps lines, discount allocations, shipping, tax and the click id from the cart attributes, and pays 8% of the base', async () => {
    const clickId = await click();
    const response = await send('orders/create', shopifyOrder({ note_attributes: [{ name: 'clid', value: clickId }] }));
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({
      id: ORDER_ID,
      programId: tenant.program.id,
      status: 'created',
      attribution: { affiliateId: tenant.affiliate.id, method: 'click', reason: 'valid_click', held: false },
      duplicate: false,
      connector: { platform: 'shopify', clickIdSource: 'note_attributes[0].clid', refundMethod: 'none', refunds: [], notes: [] },
    });
    await batch();
    expect(await order()).toMatchObject({
      id: ORDER_ID, // past 2^53, kept exactly
      status: 'created',
      currency: 'EUR',
      placedAt: '2026-11-25T11:00:00.000Z',
      revenue: '94.80',
      shipping: '4.90',
      tax: '15.92',
      customer: { id: '207119551000000001' },
      items: [{ sku: 'S1', quantity: 2, unitPrice: '49.90', discount: '5.00', base: '94.80', baseAfterRefunds: '94.80' }],
      attribution: { method: 'click', clickId, coupon: null },
      history: [
        {
          type: 'order.created',
          occurredAt: '2026-11-25T11:00:01.000Z',
          channel: 'webhook',
          deliveryId: expect.stringMatching(/^shopify:event:/),
        },
      ],
      commission: '7.58',
      connector: { platform: 'shopify', clickIdSource: 'note_attributes[0].clid', refundMethod: 'none', refunds: [], notes: [] },
      ledger: [
        {
          kind: 'accrual',
          status: 'pending',
          amount: '7.58',
          explanation: 'S1: 2 × 49.90 EUR − 5.00 EUR = 94.80 EUR × 8% (default rate) = 7.58 EUR',
        },
      ],
    });
  });

  it('reads the click id from the landing_site query when the cart has none', async () => {
    const clickId = await click();
    const response = await send(
      'orders/create',
      shopifyOrder({ landing_site: `/products/trail-runner?clid=${clickId}&utm_source=blog` }),
    );
    expect(await json(response)).toMatchObject({
      attribution: { method: 'click', affiliateId: tenant.affiliate.id },
      connector: { clickIdSource: 'landing_site' },
    });
  });

  it('attributes by discount code when there is no click id; an unknown code attributes nothing', async () => {
    expect(
      (
        await t.request('/v1/coupons', {
          method: 'POST',
          key: tenant.merchant.apiKey,
          json: { programId: tenant.program.id, code: 'BLOG5', affiliateId: tenant.affiliate.id },
        })
      ).status,
    ).toBe(201);
    expect((await json(await send('orders/create', shopifyOrder()))).attribution).toEqual({
      affiliateId: tenant.affiliate.id,
      method: 'coupon',
      reason: 'coupon',
      held: false,
    });
    const other = shopifyOrder({
      id: big('820982911946154509'),
      discount_codes: [{ code: 'WINTER', amount: '5.00', type: 'fixed_amount' }],
    });
    expect((await json(await send('orders/create', other))).attribution).toMatchObject({ affiliateId: null, method: 'none' });
  });

  it('orders/paid, a fulfilled orders/updated and orders/cancelled move the order through paid, completed and cancelled', async () => {
    await send('orders/create', shopifyOrder());
    const paid = await send('orders/paid', shopifyOrder({ financial_status: 'paid', updated_at: '2026-11-25T12:01:00+01:00' }));
    expect((await json(paid)).status).toBe('paid');
    const fulfilled = await send(
      'orders/updated',
      shopifyOrder({ financial_status: 'paid', fulfillment_status: 'fulfilled', updated_at: '2026-11-26T08:00:00+01:00' }),
    );
    expect((await json(fulfilled)).status).toBe('completed');
    expect(await order()).toMatchObject({ paidAt: '2026-11-25T11:01:00.000Z', completedAt: '2026-11-26T07:00:00.000Z' });
    const cancelled = await send(
      'orders/cancelled',
      shopifyOrder({
        financial_status: 'paid',
        fulfillment_status: 'fulfilled',
        cancelled_at: '2026-11-26T09:00:00+01:00',
        cancel_reason: 'customer',
        updated_at: '2026-11-26T09:00:00+01:00',
      }),
    );
    expect((await json(cancelled)).status).toBe('cancelled');
    expect((await order()).history.map((h: { type: string }) => h.type)).toEqual([
      'order.created',
      'order.paid',
      'order.completed',
      'order.cancelled',
    ]);
  });

  it('detects cancellation by cancelled_at, not by refunds: a fully refunded order that was not cancelled is refunded', async () => {
    await send('orders/create', shopifyOrder({ financial_status: 'paid' }));
    const refunded = shopifyOrder({
      financial_status: 'refunded',
      updated_at: '2026-11-27T09:00:00+01:00',
      refunds: [shopifyRefund('509562969', [shopifyRefundLine(LINE_SHOES, 2, 94.8)])],
    });
    expect((await json(await send('orders/updated', refunded))).status).toBe('refunded');
    expect((await order()).cancelledAt).toBeNull();
  });

  it('refunds/create takes back the units of the lines it names, and the commission follows', async () => {
    const clickId = await click();
    const twoLines = shopifyOrder({
      financial_status: 'paid',
      note_attributes: [{ name: 'clid', value: clickId }],
      line_items: [
        shopifyLine(),
        shopifyLine({ id: big(LINE_SOCKS), sku: 'SOCK', price: '9.95', quantity: 3, discount_allocations: [] }),
      ],
    });
    await send('orders/create', twoLines);
    const refund = shopifyRefund('509562969', [shopifyRefundLine(LINE_SHOES, 1, 47.4)]);
    const response = await send('refunds/create', refund);
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({
      status: 'paid',
      connector: { refundMethod: 'line_items', refunds: ['509562969'] },
    });
    await batch();
    const tracked = await order();
    expect(tracked).toMatchObject({
      revenue: '124.65',
      refunded: '47.40',
      items: [
        { sku: 'S1', refundedQuantity: 1, baseAfterRefunds: '47.40' },
        { sku: 'SOCK', refundedQuantity: 0, baseAfterRefunds: '29.85' },
      ],
    });
    // 47.40 × 8% = 3.792 → 3.79; 29.85 × 8% = 2.388 → 2.39
    expect(tracked.commission).toBe('6.18');
  });

  it('changes no commission for a refund that names no lines (shipping, a goodwill amount), and says so', async () => {
    await send('orders/create', shopifyOrder({ financial_status: 'paid' }));
    const response = await send('refunds/create', shopifyRefund('509562970', []));
    expect((await json(response)).connector).toMatchObject({
      refundMethod: 'none',
      refunds: ['509562970'],
      notes: ['refunds 509562970 name no lines (shipping or an amount only): no change to the commission'],
    });
    expect((await order()).items).toMatchObject([{ refundedQuantity: 0, baseAfterRefunds: '94.80' }]);
  });

  it('makes one order of concurrent copies of a delivery, and every answer names it (P5)', async () => {
    const body = shopifyBody(shopifyOrder({ financial_status: 'paid' }));
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => send('orders/paid', body, { webhookId: 'wh-same', eventId: 'ev-same' })),
    );
    const parsed = await Promise.all(answers.map(json));
    expect(new Set(parsed.map((p) => `${p.id} ${p.status}`))).toEqual(new Set([`${ORDER_ID} paid`]));
    expect(parsed.filter((p) => !p.duplicate)).toHaveLength(1);
    expect([count('orders'), count('order_events'), count('connector_orders')]).toEqual([1, 1, 1]);
  });

  it('keeps a refund that arrives before its order (202) and applies it when the order comes', async () => {
    // The visitor clicked before the shop made the refund (the delivery moves the clock to it).
    const clickId = await click();
    const early = await send('refunds/create', shopifyRefund('509562969', [shopifyRefundLine(LINE_SHOES, 1, 47.4)]));
    expect(early.status).toBe(202);
    expect(await json(early)).toMatchObject({ id: ORDER_ID, pending: true });
    expect(count('orders')).toBe(0);
    const response = await send(
      'orders/create',
      shopifyOrder({ financial_status: 'paid', note_attributes: [{ name: 'clid', value: clickId }] }),
    );
    expect(await json(response)).toMatchObject({
      status: 'paid',
      attribution: { method: 'click' },
      connector: { refunds: ['509562969'] },
    });
    expect((await order()).items).toMatchObject([{ refundedQuantity: 1, baseAfterRefunds: '47.40' }]);
    // The same refund delivered again, and the order's own document listing it, change nothing.
    const again = await send('refunds/create', shopifyRefund('509562969', [shopifyRefundLine(LINE_SHOES, 1, 47.4)]));
    expect(await json(again)).toMatchObject({ duplicate: true });
    expect((await order()).items[0].refundedQuantity).toBe(1);
  });

  it('leaves gift card lines out of the base and says so', async () => {
    const withGiftCard = shopifyOrder({
      line_items: [
        shopifyLine(),
        shopifyLine({
          id: big(LINE_GIFT),
          sku: 'GIFT-50',
          gift_card: true,
          price: '50.00',
          quantity: 1,
          discount_allocations: [],
          taxable: false,
        }),
      ],
    });
    const response = await send('orders/create', withGiftCard);
    expect((await json(response)).connector.notes).toEqual(['line_items[1] is a gift card: left out of the commission base']);
    expect((await order()).items.map((i: { sku: string }) => i.sku)).toEqual(['S1']);
  });

  it('refuses a wrong, missing or stale signature with 401 and stores nothing; the old secret verifies during a rotation', async () => {
    const body = shopifyBody(shopifyOrder());
    expect((await send('orders/create', body, { signature: platformSignature('not-the-secret', body) })).status).toBe(401);
    expect((await send('orders/create', body, { signature: '' })).status).toBe(401);
    const tampered = body.replace('"price":"49.90"', '"price":"4990.00"');
    const refused = await send('orders/create', tampered, { signature: platformSignature(SECRET, body) });
    expect(refused.status).toBe(401);
    expect(await json(refused)).toEqual({
      error: { code: 'invalid_signature', message: 'webhook signature rejected: no matching signature' },
    });
    expect(count('orders') + count('connector_orders')).toBe(0);

    await setConnectorSecret(t, tenant.merchant.apiKey, tenant.program.id, 'shopify', {
      secret: 'shpss_new_0123456789abcdef',
      graceSeconds: 3600,
    });
    expect((await send('orders/create', body)).status).toBe(200); // old secret, within the grace period
    t.clock.advance(3_601_000);
    const late = shopifyBody(shopifyOrder({ updated_at: '2026-11-25T13:00:00+01:00' }));
    expect((await send('orders/updated', late)).status).toBe(401);
    expect((await sendShopify(t, tenant.program.id, 'shpss_new_0123456789abcdef', 'orders/updated', late)).status).toBe(200);
  });

  it('answers a program without a Shopify secret, or an unknown program, without storing anything', async () => {
    const other = await createTenant(t, 'Other');
    const body = shopifyBody(shopifyOrder());
    expect((await sendShopify(t, other.program.id, SECRET, 'orders/create', body)).status).toBe(401);
    expect((await sendShopify(t, 'prg_999', SECRET, 'orders/create', body)).status).toBe(404);
    expect(count('orders')).toBe(0);
  });

  it('makes one conversion of replays: the same webhook id, the same event id, the same content under new ids (P4)', async () => {
    const body = shopifyBody(shopifyOrder({ financial_status: 'paid' }));
    const first = await send('orders/paid', body, { webhookId: 'wh-1', eventId: 'ev-1' });
    expect(await json(first)).toMatchObject({ duplicate: false });
    expect(await json(await send('orders/paid', body, { webhookId: 'wh-1', eventId: 'ev-1' }))).toMatchObject({
      duplicate: true,
    });
    // Another subscription to the same event: same event id, another webhook id.
    expect(await json(await send('orders/paid', body, { webhookId: 'wh-2', eventId: 'ev-1' }))).toMatchObject({
      duplicate: true,
    });
    // orders/updated fired by the same change: new ids, same order content.
    expect(await json(await send('orders/updated', body, { webhookId: 'wh-3', eventId: 'ev-2' }))).toMatchObject({
      duplicate: true,
    });
    expect(await json(await send('orders/paid', body, { webhookId: 'wh-4', eventId: null }))).toMatchObject({ duplicate: true });
    expect(count('orders')).toBe(1);
    expect(count('order_events')).toBe(1);
  });

  it('converges whatever order the deliveries arrive in (P8)', async () => {
    const finals = new Set<string>();
    for (const permutation of [
      [0, 1, 2, 3],
      [3, 2, 1, 0],
      [2, 0, 3, 1],
      [1, 3, 0, 2],
    ]) {
      await t.close();
      t = await startTestApp();
      tenant = await createTenant(t);
      await setConnectorSecret(t, tenant.merchant.apiKey, tenant.program.id, 'shopify', { secret: SECRET });
      const cart = { note_attributes: [{ name: 'clid', value: await click() }] };
      const deliveries: [string, unknown][] = [
        ['orders/create', shopifyOrder(cart)],
        ['orders/paid', shopifyOrder({ ...cart, financial_status: 'paid', updated_at: '2026-11-25T12:05:00+01:00' })],
        ['refunds/create', shopifyRefund('509562969', [shopifyRefundLine(LINE_SHOES, 1, 47.4)])],
        [
          'orders/updated',
          shopifyOrder({
            ...cart,
            financial_status: 'paid',
            fulfillment_status: 'fulfilled',
            updated_at: '2026-11-26T08:00:00+01:00',
          }),
        ],
      ];
      for (const i of permutation) expect((await send(deliveries[i]![0], deliveries[i]![1])).status).toBeLessThan(300);
      t.clock.current = new Date('2026-11-28T00:00:00Z');
      await batch();
      const o = await order();
      finals.add(JSON.stringify([o.status, o.paidAt, o.completedAt, o.refunded, o.commission]));
    }
    // 1 of 2 units kept: 47.40 × 8% = 3.792 → 3.79
    expect([...finals]).toEqual([
      JSON.stringify(['completed', '2026-11-25T11:05:00.000Z', '2026-11-26T07:00:00.000Z', '47.40', '3.79']),
    ]);
  });

  it('refuses payloads it cannot map with 422 and answers topics it does not use with ignored', async () => {
    const noCurrency = shopifyBody({ ...shopifyOrder(), currency: undefined });
    expect(await json(await send('orders/create', noCurrency))).toEqual({
      error: { code: 'validation_failed', message: 'currency is missing' },
    });
    const badPrice = shopifyBody(shopifyOrder({ line_items: [shopifyLine({ price: 'free' })] }));
    expect((await send('orders/create', badPrice)).status).toBe(422);
    expect((await send('orders/create', '{"id":')).status).toBe(400);
    expect(await json(await send('orders/create', shopifyOrder({ test: true })))).toEqual({
      ignored: true,
      reason: 'a test order (test: true)',
    });
    expect(await json(await send('products/update', '{"id":1}'))).toEqual({
      ignored: true,
      reason: 'topic products/update is not one the connector uses',
    });
    expect(count('orders') + count('connector_orders')).toBe(0);
  });
});
