import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { orderEvent, sendOrder } from '../support/shop';
import { ADMIN_TOKEN, createTenant, startTestApp, type Tenant, type TestApp } from '../support/test-app';

/**
 * Bad input is a 4xx that changes nothing, on every JSON route: a body that is not UTF-8 is
 * refused as invalid_json (not read as U+FFFD), and an identifier holding a lone surrogate is
 * refused by name.
 */
let t: TestApp;
let tenant: Tenant;
beforeEach(async () => {
  t = await startTestApp();
  tenant = await createTenant(t);
});
afterEach(() => t.close());

/** `{"<field>":"x<0xFF>y"}`: JSON whose only fault is one byte that is not UTF-8. */
function notUtf8(json: string) {
  const [before, after] = json.split('§') as [string, string];
  return Buffer.concat([Buffer.from(before), Buffer.from([0xff]), Buffer.from(after)]);
}

const count = (table: string) => (t.store.raw.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;

describe('bad input is 4xx, never stored', () => {
  it('refuses a JSON body that is not UTF-8 with 400 invalid_json on every JSON route', async () => {
    const finance = (
      (await (await t.request('/v1/finance-keys', { method: 'POST', key: ADMIN_TOKEN })).json()) as { apiKey: string }
    ).apiKey;
    const cases: [string, string, string, string][] = [
      ['POST', '/v1/merchants', ADMIN_TOKEN, '{"name":"Shop§"}'],
      ['POST', '/v1/affiliates', ADMIN_TOKEN, '{"name":"Blog§"}'],
      ['POST', '/v1/programs', tenant.merchant.apiKey, '{"name":"P§","landingUrl":"https://shop.example/","currency":"EUR"}'],
      ['PATCH', `/v1/programs/${tenant.program.id}`, tenant.merchant.apiKey, '{"name":"renamed§"}'],
      ['POST', '/v1/links', tenant.affiliate.apiKey, `{"programId":"${tenant.program.id}","sub1":"a§"}`],
      ['PATCH', '/v1/affiliates/me', tenant.affiliate.apiKey, '{"name":"me§"}'],
      ['POST', '/v1/fx-rates', finance, '{"base":"EUR","quote":"USD","rate":"1.1","source":"ECB§"}'],
      ['POST', '/v1/payouts', finance, '{"asOf":"2026-11-25T00:00:00Z","minimumAmount":"1§"}'],
    ];
    const before = ['merchants', 'affiliates', 'programs', 'links', 'fx_rates', 'payouts'].map(count);
    for (const [method, path, key, json] of cases) {
      const response = await t.request(path, {
        method,
        key,
        headers: { 'content-type': 'application/json' },
        body: notUtf8(json),
      });
      expect([method, path, response.status]).toEqual([method, path, 400]);
      expect(await response.json()).toEqual({ error: { code: 'invalid_json', message: 'the body must be valid UTF-8 JSON' } });
    }
    expect(['merchants', 'affiliates', 'programs', 'links', 'fx_rates', 'payouts'].map(count)).toEqual(before);
    const program = (await (await t.request(`/v1/programs/${tenant.program.id}`, { key: tenant.merchant.apiKey })).json()) as {
      name: string;
    };
    expect(program.name).not.toContain('\ufffd');
    // The same bodies in valid UTF-8 pass the check (a renamed program, say).
    const renamed = await t.request(`/v1/programs/${tenant.program.id}`, {
      method: 'PATCH',
      key: tenant.merchant.apiKey,
      json: { name: 'renamed ü' },
    });
    expect(renamed.status).toBe(200);
  });

  it.each([
    ['order.id', { id: 'A-\ud800' }],
    ['order.items[0].sku', { id: 'A-2', items: [{ sku: 'S\udc00', quantity: 1, unitPrice: '10.00' }] }],
    ['order.coupon', { id: 'A-3', coupon: 'C\ud83d' }],
  ])('refuses a lone surrogate in %s with 422 naming it', async (field, order) => {
    const response = await sendOrder(t, tenant.merchant.webhookSecret, orderEvent(tenant.program.id, 'order.created', order));
    expect(response.status).toBe(422);
    expect(await response.json()).toEqual({
      error: { code: 'validation_failed', message: `${field}: must be valid Unicode (a lone surrogate is not a character)` },
    });
    expect(count('orders')).toBe(0);
  });

  it('keeps a well-formed pair (an emoji) in an order id, and refuses a lone surrogate in a sub id', async () => {
    const ok = await sendOrder(t, tenant.merchant.webhookSecret, orderEvent(tenant.program.id, 'order.created', { id: 'A-😀' }));
    expect(ok.status).toBe(200);
    const link = await t.request('/v1/links', {
      method: 'POST',
      key: tenant.affiliate.apiKey,
      json: { programId: tenant.program.id, sub1: 'x\ud800' },
    });
    expect(link.status).toBe(422);
    expect(((await link.json()) as { error: { message: string } }).error.message).toBe(
      'sub1: must be valid Unicode (a lone surrogate is not a character)',
    );
  });
});
