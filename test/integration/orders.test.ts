import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { orderEvent, sendOrder } from '../support/shop';
import { ADMIN_TOKEN, createTenant, startTestApp, TEST_IP_HEADER, type Tenant, type TestApp } from '../support/test-app';

let t: TestApp;
let tenant: Tenant;
beforeEach(async () => {
  t = await startTestApp();
  tenant = await createTenant(t);
});
afterEach(async () => {
  await t.close();
});

const count = (table: string) => (t.store.raw.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;

async function click(code = tenant.link.code, query = ''): Promise<string> {
  const response = await t.request(`/c/${code}${query}`, {
    headers: { 'user-agent': 'Mozilla/5.0 Chrome/131.0.0.0', [TEST_IP_HEADER]: '198.51.100.1' },
  });
  return new URL(response.headers.get('location')!).searchParams.get('clid')!;
}

async function body(response: Response) {
  return (await response.json()) as Record<string, any>;
}

describe('order intake', () => {
  it('stores a signed order, attributes it to the click, and shows it with its receipt', async () => {
    const clickId = await click();
    t.clock.advance(3_600_000);
    const response = await sendOrder(
      t,
      tenant.merchant.webhookSecret,
      orderEvent(
        tenant.program.id,
        'order.created',
        { id: 'A-1001', clickId, customerId: 'c-9', newCustomer: true, shipping: '4.90' },
        '2026-11-25T11:00:00Z',
      ),
    );
    expect(response.status).toBe(200);
    expect(await body(response)).toEqual({
      id: 'A-1001',
      programId: tenant.program.id,
      status: 'created',
      attribution: { affiliateId: tenant.affiliate.id, method: 'click', reason: 'valid_click', held: false },
      duplicate: false,
    });
    const order = await body(await t.request('/v1/orders/A-1001', { key: tenant.merchant.apiKey }));
    expect(order).toMatchObject({
      id: 'A-1001',
      status: 'created',
      currency: 'EUR',
      revenue: '94.80',
      refunded: '0.00',
      shipping: '4.90',
      customer: { id: 'c-9', newCustomer: true },
      items: [{ sku: 'S1', quantity: 2, unitPrice: '49.90', discount: '5.00', base: '94.80', baseAfterRefunds: '94.80' }],
      attribution: {
        affiliateId: tenant.affiliate.id,
        method: 'click',
        clickId,
        linkId: tenant.link.id,
        receipt: {
          method: 'click',
          rule: "first valid source in the program's order: click, coupon",
          window: {
            clickedAt: '2026-11-25T10:00:00.000Z',
            placedAt: '2026-11-25T11:00:00.000Z',
            cookieDays: 30,
            ageSeconds: 3600,
            withinWindow: true,
          },
          candidates: [{ source: 'click', verdict: 'won', affiliateId: tenant.affiliate.id, linkId: tenant.link.id }],
          flags: [],
        },
      },
      history: [{ type: 'order.created', occurredAt: '2026-11-25T11:00:00.000Z', channel: 'webhook' }],
      ledger: [],
    });
  });

  it('attributes an order whose click row is gone: the click id is enough (P2)', async () => {
    const clickId = await click();
    t.store.raw.prepare('DELETE FROM clicks').run();
    const response = await sendOrder(
      t,
      tenant.merchant.webhookSecret,
      orderEvent(tenant.program.id, 'order.paid', { id: 'A-2', clickId }, '2026-11-25T10:05:00Z'),
    );
    expect((await body(response)).attribution).toMatchObject({ affiliateId: tenant.affiliate.id, method: 'click' });
  });

  it('refuses bad signatures with 401 and stores nothing; accepts the old secret during a rotation (P6)', async () => {
    const event = orderEvent(tenant.program.id, 'order.created', { id: 'S-1' });
    const now = Math.floor(t.clock.now().getTime() / 1000);
    const cases: [string, Parameters<typeof sendOrder>[3], string][] = [
      ['301 s old', { timestamp: now - 301 }, 'timestamp too old'],
      ['301 s ahead', { timestamp: now + 301 }, 'timestamp too new'],
    ];
    for (const [, options, reason] of cases) {
      const response = await sendOrder(t, tenant.merchant.webhookSecret, event, options);
      expect(response.status).toBe(401);
      expect(await body(response)).toEqual({
        error: { code: 'invalid_signature', message: `webhook signature rejected: ${reason}` },
      });
    }
    const wrongSecret = await sendOrder(t, 'whsec_d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldA==', event);
    expect(wrongSecret.status).toBe(401);
    const other = await createTenant(t, 'Other');
    expect((await sendOrder(t, other.merchant.webhookSecret, event)).status).toBe(401);
    const unsigned = await t.request('/v1/orders', { method: 'POST', json: event });
    expect(unsigned.status).toBe(401);
    // Signed, then one byte of the body changed in transit.
    const raw = JSON.stringify(event);
    const flipped = await t.request('/v1/orders', {
      method: 'POST',
      headers: (await import('../support/shop')).signedHeaders(tenant.merchant.webhookSecret, raw, { timestamp: now }),
      body: raw.replace('S-1', 'S-2'),
    });
    expect(flipped.status).toBe(401);
    expect(count('orders')).toBe(0);
    expect(count('order_events')).toBe(0);

    for (const offset of [-299, 299]) {
      const ok = await sendOrder(
        t,
        tenant.merchant.webhookSecret,
        orderEvent(tenant.program.id, 'order.created', { id: `S-${offset}` }),
        { timestamp: now + offset },
      );
      expect(ok.status).toBe(200);
    }

    const rotated = await body(
      await t.request('/v1/webhook-secrets/rotate', { method: 'POST', key: tenant.merchant.apiKey, json: { graceSeconds: 600 } }),
    );
    expect(
      (await sendOrder(t, rotated.webhookSecret, orderEvent(tenant.program.id, 'order.created', { id: 'R-new' }))).status,
    ).toBe(200);
    expect(
      (await sendOrder(t, tenant.merchant.webhookSecret, orderEvent(tenant.program.id, 'order.created', { id: 'R-old' }))).status,
    ).toBe(200);
    t.clock.advance(601_000);
    expect(
      (await sendOrder(t, tenant.merchant.webhookSecret, orderEvent(tenant.program.id, 'order.created', { id: 'R-late' })))
        .status,
    ).toBe(401);
    expect(
      (await sendOrder(t, rotated.webhookSecret, orderEvent(tenant.program.id, 'order.created', { id: 'R-new2' }))).status,
    ).toBe(200);
    expect(count('orders')).toBe(5);
  });

  it.each([
    ['malformed JSON', '{"type":', 400, 'invalid_json'],
    ['not JSON at all', 'type=order.created', 400, 'invalid_json'],
    ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0x7d]).toString('latin1'), 400, 'invalid_json'],
  ])('refuses %s with %i', async (_name, raw, status, code) => {
    const response = await sendOrder(t, tenant.merchant.webhookSecret, null, { body: raw });
    expect(response.status).toBe(status);
    expect((await body(response)).error.code).toBe(code);
    expect(count('orders')).toBe(0);
  });

  it.each([
    ['an unknown program', { programId: 'prg_9999' }, 'programId: unknown program'],
    ['a missing program', { programId: undefined }, 'programId: unknown program'],
    ['an unknown event type', { type: 'order.shipped' }, 'type'],
    [
      'a negative price',
      { order: { id: 'B', items: [{ sku: 'S', quantity: 1, unitPrice: '-1.00' }] } },
      'order.items[0].unitPrice must not be negative',
    ],
    ['a numeric price', { order: { id: 'B', items: [{ sku: 'S', quantity: 1, unitPrice: 49.9 }] } }, 'order.items[0].unitPrice'],
    [
      'a non-numeric price',
      { order: { id: 'B', items: [{ sku: 'S', quantity: 1, unitPrice: 'abc' }] } },
      'must be a decimal string',
    ],
    [
      'too many decimals for EUR',
      { order: { id: 'B', items: [{ sku: 'S', quantity: 1, unitPrice: '1.001' }] } },
      'more decimals than the currency allows (EUR)',
    ],
    ['decimals on JPY', { order: { id: 'B', currency: 'JPY', items: [{ sku: 'S', quantity: 1, unitPrice: '100.5' }] } }, '(JPY)'],
    [
      'an unknown currency',
      { order: { id: 'B', currency: 'EURO', items: [{ sku: 'S', quantity: 1, unitPrice: '1.00' }] } },
      'order.currency',
    ],
    ['a zero quantity', { order: { id: 'B', items: [{ sku: 'S', quantity: 0, unitPrice: '1.00' }] } }, 'order.items[0].quantity'],
    [
      'a fractional quantity',
      { order: { id: 'B', items: [{ sku: 'S', quantity: 1.5, unitPrice: '1.00' }] } },
      'order.items[0].quantity',
    ],
    [
      'more refunded than bought',
      { order: { id: 'B', items: [{ sku: 'S', quantity: 1, unitPrice: '1.00', refundedQuantity: 2 }] } },
      'refundedQuantity is larger',
    ],
    [
      'a discount above the line',
      { order: { id: 'B', items: [{ sku: 'S', quantity: 1, unitPrice: '1.00', discount: '2.00' }] } },
      'discount is larger',
    ],
    ['no items', { order: { id: 'B', items: [] } }, 'order.items'],
    ['a bad timestamp', { occurredAt: 'yesterday' }, 'occurredAt'],
    [
      'a negative shipping',
      { order: { id: 'B', shipping: '-4.90', items: [{ sku: 'S', quantity: 1, unitPrice: '1.00' }] } },
      'order.shipping must not be negative',
    ],
  ])('refuses %s with 422 and stores nothing', async (_name, change, message) => {
    const base = orderEvent(tenant.program.id, 'order.created', { id: 'B' });
    const event = { ...base, ...change, order: { ...base.order, ...(change as { order?: object }).order } };
    const response = await sendOrder(t, tenant.merchant.webhookSecret, event);
    const error = (await body(response)).error;
    expect([response.status, error.code]).toEqual([422, 'validation_failed']);
    expect(error.message).toContain(message);
    expect(count('orders')).toBe(0);
  });

  it('refuses an oversized body with 413 (P23)', async () => {
    const event = orderEvent(tenant.program.id, 'order.created', { id: 'Big', customerId: 'x'.repeat(2 * 1024 * 1024) });
    const response = await sendOrder(t, tenant.merchant.webhookSecret, event);
    expect(response.status).toBe(413);
    expect(count('orders')).toBe(0);
  });

  it('refuses an order id reused under another program of the same merchant', async () => {
    await sendOrder(t, tenant.merchant.webhookSecret, orderEvent(tenant.program.id, 'order.created', { id: 'X-1' }));
    const second = await body(
      await t.request('/v1/programs', {
        method: 'POST',
        key: tenant.merchant.apiKey,
        json: {
          name: 'P2',
          landingUrl: 'https://shop.example/',
          allowedDomains: ['shop.example'],
          currency: 'EUR',
          plan: { default: { percent: '5' } },
        },
      }),
    );
    const response = await sendOrder(t, tenant.merchant.webhookSecret, orderEvent(second.id, 'order.paid', { id: 'X-1' }));
    expect(response.status).toBe(409);
  });
});

describe('orders as read by merchants and affiliates', () => {
  it("shows affiliates their own attributed orders without customer data, and hides others' (P20)", async () => {
    const clickId = await click();
    await sendOrder(
      t,
      tenant.merchant.webhookSecret,
      orderEvent(tenant.program.id, 'order.paid', { id: 'M-1', clickId, customerId: 'secret-customer' }, '2026-11-25T10:10:00Z'),
    );
    await sendOrder(
      t,
      tenant.merchant.webhookSecret,
      orderEvent(tenant.program.id, 'order.paid', { id: 'M-2' }, '2026-11-25T10:10:00Z'),
    );
    const mine = await body(await t.request('/v1/orders', { key: tenant.affiliate.apiKey }));
    expect(mine.orders).toEqual([
      {
        id: 'M-1',
        programId: tenant.program.id,
        status: 'paid',
        currency: 'EUR',
        revenue: '94.80',
        placedAt: '2026-11-25T10:10:00.000Z',
        completedAt: null,
        method: 'click',
        linkId: tenant.link.id,
        held: false,
        commission: null,
      },
    ]);
    expect(JSON.stringify(mine)).not.toContain('secret-customer');
    const all = await body(await t.request('/v1/orders?from=2026-11-25&to=2026-11-25', { key: tenant.merchant.apiKey }));
    expect(all.orders.map((o: { id: string }) => o.id)).toEqual(['M-1', 'M-2']);
    const none = await body(await t.request('/v1/orders?from=2026-11-26', { key: tenant.merchant.apiKey }));
    expect(none.orders).toEqual([]);
    const other = await createTenant(t, 'Other');
    expect((await t.request('/v1/orders/M-1', { key: other.merchant.apiKey })).status).toBe(404);
    expect((await body(await t.request('/v1/orders', { key: other.merchant.apiKey }))).orders).toEqual([]);
    expect((await body(await t.request('/v1/orders', { key: other.affiliate.apiKey }))).orders).toEqual([]);
    expect((await t.request('/v1/orders/M-1', { key: ADMIN_TOKEN })).status).toBe(403);
  });
});
