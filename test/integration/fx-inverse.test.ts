import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { orderEvent, sendOrder } from '../support/shop';
import { ADMIN_TOKEN, createTenant, startTestApp, TEST_IP_HEADER, type Tenant, type TestApp } from '../support/test-app';

/**
 * A stored rate serves both directions: with EUR/USD 1.0834 stored (1 EUR = 1.0834 USD), a USD
 * order in a EUR program converts at exactly 1/1.0834, pinned to the order (P18), to the cent.
 */
let t: TestApp;
let tenant: Tenant;
let logs: string[];
beforeEach(async () => {
  logs = [];
  t = await startTestApp({ log: { info: (m) => logs.push(m), error: (m) => logs.push(m) } });
  tenant = await createTenant(t);
});
afterEach(() => t.close());

async function batch() {
  const response = await t.request('/v1/admin/batch', {
    method: 'POST',
    key: ADMIN_TOKEN,
    json: { asOf: t.clock.now().toISOString() },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

describe('exchange rates in both directions', () => {
  it('converts a USD order through a stored EUR/USD rate, at its exact inverse', async () => {
    const visit = await t.request(`/c/${tenant.link.code}`, {
      headers: { 'user-agent': 'Mozilla/5.0 Chrome/131.0.0.0', [TEST_IP_HEADER]: '198.51.100.7' },
    });
    const clickId = new URL(visit.headers.get('location')!).searchParams.get('clid')!;
    t.clock.advance(60_000);
    const event = orderEvent(
      tenant.program.id,
      'order.paid',
      {
        id: 'USD-1',
        clickId,
        currency: 'USD',
        items: [{ sku: 'S', quantity: 2, unitPrice: '100.00' }],
      },
      t.clock.now().toISOString(),
    );
    expect((await sendOrder(t, tenant.merchant.webhookSecret, event)).status).toBe(200);
    expect(await batch()).toMatchObject({ skippedOtherCurrency: 1, waitingForRate: [{ from: 'USD', to: 'EUR', orders: 1 }] });
    // The wait is visible: on the order, and in the batch's log by pair.
    const waiting = (await (await t.request('/v1/orders/USD-1', { key: tenant.merchant.apiKey })).json()) as Record<
      string,
      unknown
    >;
    expect(waiting).toMatchObject({ commission: null, waitingForRate: { from: 'USD', to: 'EUR' } });
    expect(logs).toContain('orders wait for an exchange rate: USD→EUR (1); add one with POST /v1/fx-rates');

    const stored = await t.request('/v1/fx-rates', {
      method: 'POST',
      key: ADMIN_TOKEN,
      json: { base: 'EUR', quote: 'USD', rate: '1.0834', source: 'ECB', effectiveAt: '2026-11-24T00:00:00Z' },
    });
    expect(stored.status).toBe(201);
    expect(await batch()).toMatchObject({ skippedOtherCurrency: 0, waitingForRate: [] });
    const view = (await (await t.request('/v1/orders/USD-1', { key: tenant.merchant.apiKey })).json()) as {
      waitingForRate: unknown;
      commission: string;
      commissionCurrency: string;
      ledger: { amount: string; currency: string; fx: unknown }[];
    };
    // 100.00 USD ÷ 1.0834 = 92.3020… → 92.30 EUR a unit; 2 × 92.30 = 184.60; 8 % = 14.768 → 14.77.
    expect(view).toMatchObject({ commission: '14.77', commissionCurrency: 'EUR', waitingForRate: null });
    expect(view.ledger[0]).toMatchObject({
      amount: '14.77',
      currency: 'EUR',
      fx: { from: 'USD', rate: '1/1.0834', source: 'ECB', effectiveAt: '2026-11-24T00:00:00.000Z' },
    });
  });
});
