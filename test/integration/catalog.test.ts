import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { big, shopifyBody, shopifyLine, shopifyOrder } from '../fixtures/shopify';
import { sendShopify, setConnectorSecret } from '../support/connectors';
import { orderEvent, sendOrder } from '../support/shop';
import { ADMIN_TOKEN, createTenant, startTestApp, TEST_IP_HEADER, type Tenant, type TestApp } from '../support/test-app';

let t: TestApp;
let tenant: Tenant;
// Electronics earn 3%, everything else the default 8%.
const plan = { default: { percent: '8' }, rules: [{ category: 'electronics', percent: '3' }] };
beforeEach(async () => {
  t = await startTestApp();
  tenant = await createTenant(t);
  expect(
    (await t.request(`/v1/programs/${tenant.program.id}`, { method: 'PATCH', key: tenant.merchant.apiKey, json: { plan } }))
      .status,
  ).toBe(200);
});
afterEach(async () => {
  await t.close();
});

const putCatalog = (body: string, type: string) =>
  t.request(`/v1/programs/${tenant.program.id}/catalog`, {
    method: 'PUT',
    key: tenant.merchant.apiKey,
    headers: { 'content-type': type },
    body,
  });
const rows = () => t.store.raw.prepare('SELECT sku, category FROM catalog_items ORDER BY sku').all();

async function click(): Promise<string> {
  const response = await t.request(`/c/${tenant.link.code}`, {
    headers: { 'user-agent': 'Mozilla/5.0 Chrome/131.0.0.0', [TEST_IP_HEADER]: '198.51.100.1' },
  });
  return new URL(response.headers.get('location')!).searchParams.get('clid')!;
}
async function ledgerOf(id: string) {
  t.clock.advance(60_000);
  expect(
    (await t.request('/v1/admin/batch', { method: 'POST', key: ADMIN_TOKEN, json: { asOf: t.clock.now().toISOString() } }))
      .status,
  ).toBe(200);
  return (await (await t.request(`/v1/orders/${id}`, { key: tenant.merchant.apiKey })).json()) as Record<string, any>;
}

describe('catalogue', () => {
  it('takes a CSV (quoted fields, CRLF, extra columns) or JSON, and replaces the catalogue whole', async () => {
    const csv = '\ufeffSKU,title,Category\r\nTV-55,"Fernseher ""55""",electronics\r\nS1,Trail Runner,shoes\r\n';
    const response = await putCatalog(csv, 'text/csv; charset=utf-8');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ programId: tenant.program.id, items: 2, categories: ['electronics', 'shoes'] });
    expect(rows()).toEqual([
      { sku: 'S1', category: 'shoes' },
      { sku: 'TV-55', category: 'electronics' },
    ]);
    expect(
      (await putCatalog(JSON.stringify({ items: [{ sku: 'CAM-1', category: 'electronics' }] }), 'application/json')).status,
    ).toBe(200);
    expect(rows()).toEqual([{ sku: 'CAM-1', category: 'electronics' }]);
  });

  it('refuses a bad upload with a clear 4xx and keeps the catalogue it had', async () => {
    await putCatalog('sku,category\nTV-55,electronics\n', 'text/csv');
    const cases: [string, string, number, string][] = [
      ['sku,category\nA,x\nA,y\n', 'text/csv', 422, 'CSV line 3: sku A is already in CSV line 2'],
      ['product,category\nA,x\n', 'text/csv', 422, 'the first CSV row must name the columns sku and category'],
      ['sku,category\n"A,x\n', 'text/csv', 422, 'the CSV has an unclosed quote'],
      ['sku,category\n,x\n', 'text/csv', 422, 'CSV line 2: sku must be 1 to 100 characters'],
      [
        JSON.stringify({ items: [{ sku: 'A' }] }),
        'application/json',
        422,
        'items[0].category: Invalid input: expected string, received undefined',
      ],
      ['{"items":', 'application/json', 400, 'the body must be valid UTF-8 JSON'],
      ['sku=A', 'application/x-www-form-urlencoded', 415, 'send the catalogue as application/json or text/csv'],
    ];
    for (const [body, type, status, message] of cases) {
      const response = await putCatalog(body, type);
      expect([body, response.status, ((await response.json()) as { error: { message: string } }).error.message]).toEqual([
        body,
        status,
        message,
      ]);
    }
    expect(rows()).toEqual([{ sku: 'TV-55', category: 'electronics' }]);
  });

  it('gives /v1/orders lines without a category the catalogue’s, and says which SKUs it does not know', async () => {
    await putCatalog('sku,category\nTV-55,electronics\n', 'text/csv');
    const clickId = await click();
    const items = [
      { sku: 'TV-55', quantity: 1, unitPrice: '499.00' },
      { sku: 'MYSTERY', quantity: 1, unitPrice: '20.00' },
      { sku: 'OWN', category: 'electronics', quantity: 1, unitPrice: '10.00' },
    ];
    const response = await sendOrder(
      t,
      tenant.merchant.webhookSecret,
      orderEvent(tenant.program.id, 'order.paid', { id: 'C-1', clickId, items }),
    );
    expect(await response.json()).toMatchObject({ attribution: { method: 'click' }, catalog: { unknownSkus: ['MYSTERY'] } });
    const order = await ledgerOf('C-1');
    expect(order.items).toMatchObject([
      { sku: 'TV-55', category: 'electronics', catalog: 'matched' },
      { sku: 'MYSTERY', category: null, catalog: 'unknown_sku' },
      { sku: 'OWN', category: 'electronics' },
    ]);
    expect(order.ledger.map((e: { explanation: string }) => e.explanation)).toEqual([
      'TV-55: 1 × 499.00 EUR = 499.00 EUR × 3% (rules[0]) = 14.97 EUR',
      'MYSTERY: 1 × 20.00 EUR = 20.00 EUR × 8% (default rate; SKU not in the catalogue) = 1.60 EUR',
      'OWN: 1 × 10.00 EUR = 10.00 EUR × 3% (rules[0]) = 0.30 EUR',
    ]);
    expect(order.commission).toBe('16.87');

    // The next event re-derives the order from every stored payload: the catalogue's categories
    // were stored with the first one, so they and the commission stay.
    const completed = await sendOrder(
      t,
      tenant.merchant.webhookSecret,
      orderEvent(tenant.program.id, 'order.completed', { id: 'C-1', clickId, items }, t.clock.now().toISOString()),
    );
    expect(completed.status).toBe(200);
    const again = await ledgerOf('C-1');
    expect(again.status).toBe('completed');
    expect(again.items).toMatchObject([
      { sku: 'TV-55', category: 'electronics', catalog: 'matched' },
      { sku: 'MYSTERY', category: null, catalog: 'unknown_sku' },
      { sku: 'OWN', category: 'electronics' },
    ]);
    expect(again.commission).toBe('16.87');
  });

  it('serves the Shopify connector too, and a program without a catalogue is unchanged', async () => {
    await setConnectorSecret(t, tenant.merchant.apiKey, tenant.program.id, 'shopify', { secret: 'shpss_catalog_test_secret' });
    const body = shopifyOrder({
      line_items: [shopifyLine({ id: big('1'), sku: 'TV-55', price: '499.00', quantity: 1, discount_allocations: [] })],
    });
    const before = await sendShopify(t, tenant.program.id, 'shpss_catalog_test_secret', 'orders/create', shopifyBody(body));
    expect(await before.json()).not.toHaveProperty('catalog');
    await putCatalog('sku,category\nTV-55,electronics\n', 'text/csv');
    const later = shopifyBody({ ...body, id: big('2'), updated_at: '2026-11-25T12:30:00+01:00' });
    expect(
      (await (await sendShopify(t, tenant.program.id, 'shpss_catalog_test_secret', 'orders/create', later)).json()) as object,
    ).toMatchObject({ status: 'created' });
    const order = (await (await t.request('/v1/orders/2', { key: tenant.merchant.apiKey })).json()) as { items: unknown[] };
    expect(order.items).toMatchObject([{ sku: 'TV-55', category: 'electronics', catalog: 'matched' }]);
  });
});
