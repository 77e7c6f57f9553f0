import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTenant, startTestApp, TEST_IP_HEADER, type Tenant, type TestApp } from '../support/test-app';

let t: TestApp;
let tenant: Tenant;
let token: string;
beforeEach(async () => {
  t = await startTestApp();
  tenant = await createTenant(t);
  token = (
    (await (await t.request('/v1/postback-tokens', { method: 'POST', key: tenant.merchant.apiKey })).json()) as { token: string }
  ).token;
});
afterEach(async () => {
  await t.close();
});

const count = (table: string) => (t.store.raw.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;

function postback(params: Record<string, string>, extra = '') {
  const query = new URLSearchParams({ token, programId: tenant.program.id, ...params }).toString();
  return t.request(`/postback?${query}${extra}`);
}

describe('server-to-server postback', () => {
  it('records an attributed conversion and answers retries with the same order', async () => {
    const visit = await t.request(`/c/${tenant.link.code}`, {
      headers: { 'user-agent': 'Mozilla/5.0 Chrome/131.0', [TEST_IP_HEADER]: '192.0.2.1' },
    });
    const clickId = new URL(visit.headers.get('location')!).searchParams.get('clid')!;
    const first = await postback({ orderId: 'PB-1', amount: '120.00', currency: 'EUR', clickId });
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({
      id: 'PB-1',
      programId: tenant.program.id,
      status: 'paid',
      attribution: { affiliateId: tenant.affiliate.id, method: 'click', reason: 'valid_click', held: false },
      duplicate: false,
    });
    t.clock.advance(60_000);
    const retry = await postback({ orderId: 'PB-1', amount: '120.00', currency: 'EUR', clickId });
    expect(await retry.json()).toMatchObject({ id: 'PB-1', duplicate: true });
    expect([count('orders'), count('order_events')]).toEqual([1, 1]);
    const completed = await postback({ orderId: 'PB-1', amount: '120.00', currency: 'EUR', clickId, status: 'completed' });
    expect(await completed.json()).toMatchObject({ status: 'completed', duplicate: false });
    const view = (await (await t.request('/v1/orders/PB-1', { key: tenant.merchant.apiKey })).json()) as {
      revenue: string;
      history: { channel: string }[];
    };
    expect(view.revenue).toBe('120.00');
    expect(view.history.map((h) => h.channel)).toEqual(['postback', 'postback']);
  });

  it('accepts a form-encoded POST', async () => {
    const body = new URLSearchParams({
      token,
      programId: tenant.program.id,
      orderId: 'PB-2',
      amount: '5',
      currency: 'JPY',
    }).toString();
    const response = await t.request('/postback', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    expect(response.status).toBe(200);
  });

  it.each([
    ['a repeated parameter', { orderId: 'D-1', amount: '1.00', currency: 'EUR' }, '&amount=2.00', 400, 'bad_request'],
    ['an unknown parameter', { orderId: 'D-1', amount: '1.00', currency: 'EUR', price: '1' }, '', 400, 'bad_request'],
    [
      'a bad token',
      { orderId: 'D-1', amount: '1.00', currency: 'EUR', token: 'pbt_wrong_token_0123456789abcdef' },
      '',
      401,
      'unauthorized',
    ],
    ['a negative amount', { orderId: 'D-1', amount: '-1.00', currency: 'EUR' }, '', 422, 'validation_failed'],
    ['a non-numeric amount', { orderId: 'D-1', amount: 'ten', currency: 'EUR' }, '', 422, 'validation_failed'],
    ['too many decimals', { orderId: 'D-1', amount: '1.234', currency: 'EUR' }, '', 422, 'validation_failed'],
    ['an unknown currency', { orderId: 'D-1', amount: '1.00', currency: 'XYZ' }, '', 422, 'validation_failed'],
    ['a missing order id', { amount: '1.00', currency: 'EUR' }, '', 422, 'validation_failed'],
    ['an unknown status', { orderId: 'D-1', amount: '1.00', currency: 'EUR', status: 'shipped' }, '', 422, 'validation_failed'],
  ])('refuses %s and stores nothing', async (_name, params, extra, status, code) => {
    const response = await postback(params as Record<string, string>, extra);
    expect(response.status).toBe(status);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(code);
    expect(count('orders')).toBe(0);
  });

  it("refuses another merchant's program", async () => {
    const other = await createTenant(t, 'Other');
    const response = await postback({ orderId: 'X', amount: '1.00', currency: 'EUR', programId: other.program.id });
    expect(response.status).toBe(422);
    expect(count('orders')).toBe(0);
  });
});
