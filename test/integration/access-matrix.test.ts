import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/core/principal';
import { orderEvent, sendOrder } from '../support/shop';
import { ADMIN_TOKEN, createTenant, startTestApp, type Tenant, type TestApp } from '../support/test-app';

/**
 * P20 (tenant isolation) and P21 (role scoping) as a matrix generated over every operation in
 * the OpenAPI document: a route added without an entry here fails the first test.
 */
const access: Record<string, Role[] | 'public'> = {
  'GET /healthz': 'public',
  'GET /readyz': 'public',
  'GET /c/{code}': 'public',
  'POST /v1/merchants': ['admin'],
  'POST /v1/affiliates': ['admin'],
  'POST /v1/finance-keys': ['admin'],
  'GET /v1/keys': ['admin', 'merchant', 'affiliate', 'finance'],
  'POST /v1/keys/{id}/revoke': ['admin', 'merchant', 'affiliate', 'finance'],
  'POST /v1/keys/{id}/rotate': ['admin', 'merchant', 'affiliate', 'finance'],
  'POST /v1/programs': ['merchant'],
  'GET /v1/programs': ['merchant', 'affiliate'],
  'GET /v1/programs/{id}': ['merchant', 'affiliate'],
  'PATCH /v1/programs/{id}': ['merchant'],
  'POST /v1/programs/{id}/affiliates': ['merchant'],
  'GET /v1/programs/{id}/affiliates': ['merchant'],
  'POST /v1/programs/{id}/affiliates/{affiliateId}/suspend': ['merchant'],
  'POST /v1/links': ['affiliate'],
  'GET /v1/links': ['affiliate'],
  'PATCH /v1/links/{code}': ['affiliate'],
  'POST /v1/orders': 'public', // signed by the shop, not a key
  'GET /postback': 'public', // a postback token, not a key
  'POST /postback': 'public',
  'GET /v1/orders/{id}': ['merchant'],
  'GET /v1/orders': ['merchant', 'affiliate'],
  'POST /v1/coupons': ['merchant'],
  'GET /v1/coupons': ['merchant', 'affiliate'],
  'POST /v1/webhook-secrets/rotate': ['merchant'],
  'POST /v1/postback-tokens': ['merchant'],
  'GET /v1/postback-tokens': ['merchant'],
  'POST /v1/postback-tokens/{id}/revoke': ['merchant'],
  'POST /v1/postback-tokens/{id}/rotate': ['merchant'],
  'POST /v1/customer-refs': ['affiliate'],
  'POST /v1/admin/batch': ['admin'],
  'GET /v1/admin/signup': ['admin'],
  'PUT /v1/admin/signup': ['admin'],
  'POST /v1/signup': 'public', // anyone may ask; the emailed link proves the address
  'POST /v1/signup/verify': 'public', // the emailed token, not a key
  'POST /v1/orders/{id}/release': ['merchant'],
  'POST /v1/orders/{id}/reject': ['merchant'],
  'PUT /v1/programs/{id}/affiliates/{affiliateId}/rate': ['merchant'],
  'GET /v1/earnings': ['affiliate'],
  'GET /v1/commissions': ['admin', 'merchant', 'affiliate', 'finance'],
  'POST /v1/fx-rates': ['admin', 'finance'],
  'GET /v1/fx-rates': ['admin', 'finance', 'merchant'],
  'POST /v1/programs/{id}/plan/simulate': ['merchant'],
  'POST /v1/payouts': ['finance'],
  'GET /v1/payouts': ['finance'],
  'GET /v1/payouts/{id}': ['finance'],
  'GET /v1/payouts/{id}/csv': ['finance'],
  'POST /v1/payouts/{id}/paid': ['finance'],
  'POST /v1/payouts/{id}/failed': ['finance'],
  'POST /v1/payouts/{id}/cancel': ['finance'],
  'PATCH /v1/affiliates/me': ['affiliate'],
  'GET /v1/affiliates/me/payouts': ['affiliate'],
  'GET /v1/reports/summary': ['merchant', 'affiliate'],
  'GET /v1/reports/reconciliation': ['merchant'],
  'PUT /v1/programs/{id}/connectors/{platform}': ['merchant'],
  'POST /v1/connectors/shopify/{programId}': 'public', // signed by Shopify with the program's connector secret
  'POST /v1/connectors/woocommerce/{programId}': 'public', // signed by WooCommerce with the program's connector secret
  'PUT /v1/programs/{id}/catalog': ['merchant'],
  'PUT /v1/affiliates/me/postback': ['affiliate'],
  'POST /v1/webhook-endpoints': ['admin', 'merchant', 'finance'],
  'GET /v1/webhook-endpoints': ['admin', 'merchant', 'finance'],
  'DELETE /v1/webhook-endpoints/{id}': ['admin', 'merchant', 'finance'],
  'GET /v1/webhook-endpoints/{id}/deliveries': ['admin', 'merchant', 'finance'],
  'POST /v1/webhook-deliveries/{id}/replay': ['admin', 'merchant', 'finance'],
  'PATCH /v1/webhook-endpoints/{id}': ['admin', 'merchant', 'finance'],
  'POST /v1/webhook-endpoints/{id}/pause': ['admin', 'merchant', 'finance'],
  'POST /v1/webhook-endpoints/{id}/resume': ['admin', 'merchant', 'finance'],
  'POST /v1/webhook-endpoints/{id}/rotate-secret': ['admin', 'merchant', 'finance'],
  'POST /v1/webhook-endpoints/{id}/test': ['admin', 'merchant', 'finance'],
  'POST /v1/webhook-endpoints/{id}/replay': ['admin', 'merchant', 'finance'],
  'GET /v1/affiliates/me/postback': ['affiliate'],
  'GET /v1/affiliates/me/postback/deliveries': ['affiliate'],
  'PUT /v1/affiliates/me/programs/{programId}/postback': ['affiliate'],
  'DELETE /v1/affiliates/me/programs/{programId}/postback': ['affiliate'],
  'POST /v1/affiliates/me/programs/{programId}/postback/test': ['affiliate'],
  'POST /v1/adjustments': ['admin', 'merchant', 'finance'],
  'POST /v1/adjustments/bulk': ['admin', 'merchant', 'finance'],
  'GET /v1/adjustments/{id}': ['admin', 'merchant', 'finance'],
  'POST /v1/adjustments/{id}/reverse': ['admin', 'merchant', 'finance'],
  'GET /v1/audit': ['admin', 'merchant', 'finance'],
};

let t: TestApp;
let a: Tenant;
let b: Tenant;
let keys: Record<Role, string>;

beforeAll(async () => {
  t = await startTestApp();
  a = await createTenant(t, 'A');
  b = await createTenant(t, 'B');
  const finance = (await (await t.request('/v1/finance-keys', { method: 'POST', key: ADMIN_TOKEN })).json()) as {
    apiKey: string;
  };
  keys = { admin: ADMIN_TOKEN, merchant: b.merchant.apiKey, affiliate: b.affiliate.apiKey, finance: finance.apiKey };
  const placed = await sendOrder(t, a.merchant.webhookSecret, orderEvent(a.program.id, 'order.paid', { id: 'A-ORDER-1' }));
  expect(placed.status).toBe(200);
});
afterAll(async () => {
  await t.close();
});

function fill(path: string): string {
  return path
    .replace(
      '{id}',
      path.startsWith('/v1/keys')
        ? 'key_999999'
        : path.startsWith('/v1/orders')
          ? 'A-ORDER-1'
          : path.startsWith('/v1/payouts')
            ? 'pay_999999'
            : a.program.id,
    )
    .replace('{affiliateId}', a.affiliate.id)
    .replace('{programId}', a.program.id)
    .replace('{platform}', 'shopify')
    .replace('{code}', a.link.code);
}

const sampleBodies: Record<string, unknown> = {
  'POST /v1/merchants': { name: 'x' },
  'POST /v1/affiliates': { name: 'x' },
  'POST /v1/programs': {
    name: 'x',
    landingUrl: 'https://x.example/',
    allowedDomains: ['x.example'],
    currency: 'EUR',
    plan: { default: { percent: '1' } },
  },
  'PATCH /v1/programs/{id}': { name: 'renamed' },
  'POST /v1/programs/{id}/affiliates': { affiliateId: 'aff_1' },
  'POST /v1/links': { programId: 'prg_1' },
  'PATCH /v1/links/{code}': { status: 'paused' },
  'POST /v1/coupons': { programId: 'prg_1', code: 'ABC', affiliateId: 'aff_1' },
  'POST /v1/customer-refs': { programId: 'prg_1', customerId: 'c' },
  'PUT /v1/programs/{id}/affiliates/{affiliateId}/rate': { percent: '10' },
  'POST /v1/fx-rates': { base: 'USD', quote: 'EUR', rate: '0.9', source: 'test' },
  'POST /v1/programs/{id}/plan/simulate': { plan: { default: { percent: '1' } }, from: '2026-11-01', to: '2026-11-30' },
  'POST /v1/payouts': { asOf: '2026-11-01T00:00:00Z', minimumAmount: '1.00' },
  'PATCH /v1/affiliates/me': { payoutMethod: 'paypal', payoutDetails: { email: 'x@example.com' } },
  'PUT /v1/admin/signup': { enabled: true },
  'PUT /v1/programs/{id}/connectors/{platform}': { secret: 'shpss_0123456789' },
  'PUT /v1/programs/{id}/catalog': { items: [{ sku: 'S1', category: 'shoes' }] },
  'PATCH /v1/webhook-endpoints/{id}': { description: 'x' },
  'POST /v1/webhook-endpoints/{id}/rotate-secret': { graceSeconds: 60 },
  'POST /v1/webhook-endpoints/{id}/replay': { from: '2026-11-01T00:00:00Z' },
  'PUT /v1/affiliates/me/programs/{programId}/postback': { url: 'https://t.example/pb' },
};

describe('access matrix', () => {
  it('has an entry for every operation the API documents, and no stale ones', async () => {
    const doc = (await (await t.request('/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual(Object.keys(access).sort());
  });

  it('refuses every route to the roles it does not name with 403, and to no key with 401 (P21)', async () => {
    const results: string[] = [];
    for (const [operation, roles] of Object.entries(access)) {
      if (roles === 'public') continue;
      const [method, path] = operation.split(' ') as [string, string];
      const body = sampleBodies[operation];
      const anonymous = await t.request(fill(path), { method, json: body });
      results.push(`${operation} none ${anonymous.status}`);
      for (const role of ['admin', 'merchant', 'affiliate', 'finance'] as const) {
        if (roles.includes(role)) continue;
        const response = await t.request(fill(path), { method, key: keys[role], json: body });
        const error = ((await response.json()) as { error: { code: string } }).error;
        results.push(`${operation} ${role} ${response.status} ${error.code}`);
      }
    }
    const expected: string[] = [];
    for (const [operation, roles] of Object.entries(access)) {
      if (roles === 'public') continue;
      expected.push(`${operation} none 401`);
      for (const role of ['admin', 'merchant', 'affiliate', 'finance'] as const) {
        if (!roles.includes(role)) expected.push(`${operation} ${role} 403 forbidden`);
      }
    }
    expect(results).toEqual(expected);
  });

  it("answers another tenant's objects with exactly the 404 of a missing one, and changes nothing (P20)", async () => {
    const merchant = b.merchant.apiKey;
    const affiliate = b.affiliate.apiKey;
    const [aKey] = ((await (await t.request('/v1/keys', { key: a.merchant.apiKey })).json()) as { keys: { id: string }[] }).keys;
    const probes: [string, string, string, string, unknown?][] = [
      // [method, path with A's object, path with a missing object, key]
      ['GET', `/v1/programs/${a.program.id}`, '/v1/programs/prg_999999', merchant],
      ['GET', `/v1/programs/${a.program.id}`, '/v1/programs/prg_999999', affiliate],
      ['PATCH', `/v1/programs/${a.program.id}`, '/v1/programs/prg_999999', merchant, { name: 'stolen', status: 'paused' }],
      ['GET', `/v1/programs/${a.program.id}/affiliates`, '/v1/programs/prg_999999/affiliates', merchant],
      [
        'POST',
        `/v1/programs/${a.program.id}/affiliates`,
        '/v1/programs/prg_999999/affiliates',
        merchant,
        { affiliateId: b.affiliate.id },
      ],
      [
        'POST',
        `/v1/programs/${a.program.id}/affiliates/${a.affiliate.id}/suspend`,
        `/v1/programs/prg_999999/affiliates/${a.affiliate.id}/suspend`,
        merchant,
      ],
      ['PATCH', `/v1/links/${a.link.code}`, '/v1/links/nosuchcode', affiliate, { status: 'paused' }],
      ['POST', `/v1/keys/${aKey!.id}/revoke`, '/v1/keys/key_999999/revoke', merchant],
      ['POST', `/v1/keys/${aKey!.id}/rotate`, '/v1/keys/key_999999/rotate', affiliate],
      ['GET', '/v1/orders/A-ORDER-1', '/v1/orders/NO-SUCH-ORDER', merchant],
      ['POST', '/v1/orders/A-ORDER-1/reject', '/v1/orders/NO-SUCH-ORDER/reject', merchant],
      [
        'POST',
        `/v1/programs/${a.program.id}/plan/simulate`,
        '/v1/programs/prg_999999/plan/simulate',
        merchant,
        { plan: { default: { percent: '1' } }, from: '2026-11-01', to: '2026-11-30' },
      ],
      [
        'PUT',
        `/v1/programs/${a.program.id}/affiliates/${a.affiliate.id}/rate`,
        `/v1/programs/prg_999999/affiliates/${a.affiliate.id}/rate`,
        merchant,
        { percent: '50' },
      ],
      [
        'PUT',
        `/v1/programs/${a.program.id}/connectors/shopify`,
        '/v1/programs/prg_999999/connectors/shopify',
        merchant,
        { secret: 'stolen-secret-123' },
      ],
      [
        'PUT',
        `/v1/programs/${a.program.id}/catalog`,
        '/v1/programs/prg_999999/catalog',
        merchant,
        { items: [{ sku: 'S1', category: 'free' }] },
      ],
    ];
    for (const [method, theirs, missing, key, body] of probes) {
      const r1 = await t.request(theirs, { method, key, json: body });
      const r2 = await t.request(missing, { method, key, json: body });
      expect([theirs, r1.status, await r1.text()]).toEqual([theirs, 404, await r2.text()]);
    }
    // An id in the body is checked the same way as one in the path.
    const bodyProbes: [string, unknown, unknown, string][] = [
      [
        '/v1/coupons',
        { programId: a.program.id, code: 'STEAL', affiliateId: b.affiliate.id },
        { programId: 'prg_999999', code: 'STEAL', affiliateId: b.affiliate.id },
        merchant,
      ],
      [
        '/v1/coupons',
        { programId: b.program.id, code: 'STEAL', affiliateId: a.affiliate.id },
        { programId: b.program.id, code: 'STEAL', affiliateId: 'aff_999999' },
        merchant,
      ],
      [
        '/v1/customer-refs',
        { programId: a.program.id, customerId: 'x' },
        { programId: 'prg_999999', customerId: 'x' },
        affiliate,
      ],
    ];
    for (const [path, theirs, missing, key] of bodyProbes) {
      const r1 = await t.request(path, { method: 'POST', key, json: theirs });
      const r2 = await t.request(path, { method: 'POST', key, json: missing });
      expect([path, r1.status, await r1.text()]).toEqual([path, 404, await r2.text()]);
    }
    const foreignLink = await t.request('/v1/links', { method: 'POST', key: affiliate, json: { programId: a.program.id } });
    const missingLink = await t.request('/v1/links', { method: 'POST', key: affiliate, json: { programId: 'prg_999999' } });
    expect([foreignLink.status, await foreignLink.text()]).toEqual([404, await missingLink.text()]);

    const program = (await (await t.request(`/v1/programs/${a.program.id}`, { key: a.merchant.apiKey })).json()) as {
      name: string;
      status: string;
    };
    expect(program).toMatchObject({ name: 'Spring', status: 'active' });
    const members = (await (await t.request(`/v1/programs/${a.program.id}/affiliates`, { key: a.merchant.apiKey })).json()) as {
      affiliates: unknown[];
    };
    expect(members.affiliates).toEqual([expect.objectContaining({ affiliateId: a.affiliate.id, status: 'approved' })]);
    expect((await t.request('/v1/programs', { key: a.merchant.apiKey })).status).toBe(200);
    const link = await t.request(`/c/${a.link.code}`, { headers: { 'user-agent': 'Mozilla/5.0 Chrome/131.0' } });
    expect(link.headers.get('location')).toContain('clid=');
  });

  it('lists only the caller’s own objects', async () => {
    const programs = (await (await t.request('/v1/programs', { key: b.merchant.apiKey })).json()) as {
      programs: { id: string }[];
    };
    expect(programs.programs.map((p) => p.id)).toEqual([b.program.id]);
    const links = (await (await t.request('/v1/links', { key: b.affiliate.apiKey })).json()) as { links: { code: string }[] };
    expect(links.links.map((l) => l.code)).toEqual([b.link.code]);
    const filtered = (await (await t.request(`/v1/links?programId=${a.program.id}`, { key: b.affiliate.apiKey })).json()) as {
      links: unknown[];
    };
    expect(filtered.links).toEqual([]);
    const orders = (await (await t.request('/v1/orders', { key: b.merchant.apiKey })).json()) as { orders: unknown[] };
    expect(orders.orders).toEqual([]);
    const coupons = (await (await t.request('/v1/coupons', { key: b.merchant.apiKey })).json()) as { coupons: unknown[] };
    expect(coupons.coupons).toEqual([]);
    const bKeys = (await (await t.request('/v1/keys', { key: b.merchant.apiKey })).json()) as { keys: { merchantId: string }[] };
    expect(bKeys.keys.every((k) => k.merchantId === b.merchant.id)).toBe(true);
  });
});
