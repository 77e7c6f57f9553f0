import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { shopifyBody, shopifyOrder } from '../fixtures/shopify';
import { wooBody, wooOrder } from '../fixtures/woocommerce';
import { sendShopify, sendWoo, setConnectorSecret } from '../support/connectors';
import { orderEvent, sendOrder } from '../support/shop';
import { createTenant, startTestApp, type Tenant, type TestApp } from '../support/test-app';

/**
 * Dates and totals at the door: every intake path (signed events, the postback, Shopify,
 * WooCommerce) refuses a date before 2000 or more than an hour ahead, and a total past exact
 * integer arithmetic, with 422 naming the field, and stores nothing. The test clock stands at
 * 2026-11-25T10:00:00Z.
 */
const SHOPIFY_SECRET = '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';
const WOO_SECRET = 'wc-secret-for-bounds-0123456789';
const IMPOSSIBLE = ['2300-01-01T00:00:00Z', '9999-12-31T23:59:59Z', '2026-11-25T11:00:01Z', '1999-12-31T23:59:59Z'];

let t: TestApp;
let tenant: Tenant;
let postbackToken: string;
beforeEach(async () => {
  t = await startTestApp();
  tenant = await createTenant(t);
  await setConnectorSecret(t, tenant.merchant.apiKey, tenant.program.id, 'shopify', { secret: SHOPIFY_SECRET });
  await setConnectorSecret(t, tenant.merchant.apiKey, tenant.program.id, 'woocommerce', { secret: WOO_SECRET });
  postbackToken = (
    (await (await t.request('/v1/postback-tokens', { method: 'POST', key: tenant.merchant.apiKey })).json()) as { token: string }
  ).token;
});
afterEach(() => t.close());

const count = (table: string) => (t.store.raw.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;

async function refused(response: Response): Promise<string> {
  const body = (await response.json()) as { error: { code: string; message: string } };
  expect([response.status, body.error.code]).toEqual([422, 'validation_failed']);
  return body.error.message;
}

describe('dates and totals at the door', () => {
  it('signed events: occurredAt and placedAt out of range are refused', async () => {
    for (const date of IMPOSSIBLE) {
      const late = orderEvent(tenant.program.id, 'order.paid', { id: `E-${date}` }, date);
      expect(await refused(await sendOrder(t, tenant.merchant.webhookSecret, late))).toMatch(/^occurredAt: /);
      const placed = orderEvent(tenant.program.id, 'order.paid', { id: `P-${date}`, placedAt: date });
      expect(await refused(await sendOrder(t, tenant.merchant.webhookSecret, placed))).toMatch(/^order\.placedAt: /);
    }
    // Forty minutes ahead is a shop's clock running fast: accepted.
    const ahead = orderEvent(tenant.program.id, 'order.paid', { id: 'OK-1' }, '2026-11-25T10:40:00Z');
    expect((await sendOrder(t, tenant.merchant.webhookSecret, ahead)).status).toBe(200);
    expect(count('orders')).toBe(1);
  });

  it('signed events: a total past exact arithmetic is refused, each line being fine', async () => {
    const items = Array.from({ length: 1000 }, (_, i) => ({ sku: `S${i}`, quantity: 1_000_000, unitPrice: '90071992.54' }));
    const event = orderEvent(tenant.program.id, 'order.paid', { id: 'BIG-1', items });
    expect(await refused(await sendOrder(t, tenant.merchant.webhookSecret, event))).toContain('the total');
    // Just under the bound (2^37 minor units = 1,374,389,534.72 EUR) is accepted, to the cent.
    const edge = orderEvent(tenant.program.id, 'order.paid', {
      id: 'EDGE-1',
      items: [{ sku: 'S', quantity: 1, unitPrice: '1374389534.72' }],
    });
    expect((await sendOrder(t, tenant.merchant.webhookSecret, edge)).status).toBe(200);
    const view = (await (await t.request('/v1/orders/EDGE-1', { key: tenant.merchant.apiKey })).json()) as { revenue: string };
    expect(view.revenue).toBe('1374389534.72');
    const over = orderEvent(tenant.program.id, 'order.paid', {
      id: 'EDGE-2',
      items: [{ sku: 'S', quantity: 1, unitPrice: '1374389534.73' }],
    });
    await refused(await sendOrder(t, tenant.merchant.webhookSecret, over));
    expect(count('orders')).toBe(1);
  });

  it('the postback refuses the same dates', async () => {
    for (const date of IMPOSSIBLE) {
      const query = new URLSearchParams({
        token: postbackToken,
        programId: tenant.program.id,
        orderId: 'PB-1',
        amount: '10.00',
        currency: 'EUR',
        occurredAt: date,
      });
      expect(await refused(await t.request(`/postback?${query}`))).toMatch(/occurredAt: /);
    }
    expect(count('orders')).toBe(0);
  });

  it('Shopify and WooCommerce orders dated 2300 or 9999 are refused', async () => {
    // Past the fixtures' own delivery times (11:00:05Z at the latest), so only the order's date is wrong.
    t.clock.current = new Date('2026-11-25T11:00:30.000Z');
    for (const date of ['2300-01-01T00:00:00Z', '9999-12-31T23:59:59Z']) {
      const shopify = shopifyOrder({ created_at: date, processed_at: date });
      expect(
        await refused(
          await sendShopify(t, tenant.program.id, SHOPIFY_SECRET, 'orders/create', shopifyBody(shopify), { keepClock: true }),
        ),
      ).toMatch(/placedAt: /);
      const woo = wooOrder({ date_created_gmt: date.slice(0, 19) });
      expect(
        await refused(await sendWoo(t, tenant.program.id, WOO_SECRET, 'order.created', wooBody(woo), { keepClock: true })),
      ).toMatch(/placedAt: /);
    }
    expect([count('orders'), count('order_events')]).toEqual([0, 0]);
  });
});
