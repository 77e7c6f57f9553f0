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

/** Lists do what they say: an unknown query parameter is refused, and the orders filter by what they name. */
let t: TestApp;
let tenant: Tenant;
let other: { id: string; apiKey: string };
let otherLink: { code: string };
let finance: string;
beforeEach(async () => {
  t = await startTestApp();
  tenant = await createTenant(t);
  other = await createAffiliate(t, 'Other blog');
  await approve(t, tenant.merchant.apiKey, tenant.program.id, other.id);
  otherLink = await createLink(t, other.apiKey, { programId: tenant.program.id });
  finance = ((await (await t.request('/v1/finance-keys', { method: 'POST', key: ADMIN_TOKEN })).json()) as { apiKey: string })
    .apiKey;
});
afterEach(() => t.close());

async function order(code: string, id: string, type: string, beforeOrder: () => Promise<void> = async () => {}) {
  const visit = await t.request(`/c/${code}`, {
    headers: { 'user-agent': 'Mozilla/5.0 Chrome/131.0.0.0', [TEST_IP_HEADER]: '198.51.100.7' },
  });
  const clickId = new URL(visit.headers.get('location')!).searchParams.get('clid')!;
  await beforeOrder();
  const event = orderEvent(tenant.program.id, type, { id, clickId }, t.clock.now().toISOString());
  expect((await sendOrder(t, tenant.merchant.webhookSecret, event)).status).toBe(200);
}

async function ids(query: string, key = tenant.merchant.apiKey) {
  const response = await t.request(`/v1/orders?${query}`, { key });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { orders: { id: string }[]; next: string | null };
  return { ids: body.orders.map((o) => o.id), next: body.next };
}

describe('lists', () => {
  it('refuses an unknown query parameter with 422 on every list route', async () => {
    const routes: [string, string][] = [
      ['/v1/orders', tenant.merchant.apiKey],
      ['/v1/programs', tenant.merchant.apiKey],
      [`/v1/programs/${tenant.program.id}/affiliates`, tenant.merchant.apiKey],
      ['/v1/coupons', tenant.merchant.apiKey],
      ['/v1/links', tenant.affiliate.apiKey],
      ['/v1/earnings', tenant.affiliate.apiKey],
      ['/v1/commissions', tenant.affiliate.apiKey],
      ['/v1/affiliates/me/payouts', tenant.affiliate.apiKey],
      ['/v1/keys', tenant.merchant.apiKey],
      ['/v1/fx-rates', finance],
      ['/v1/payouts', finance],
      ['/v1/postback-tokens', tenant.merchant.apiKey],
      ['/v1/webhook-endpoints', tenant.merchant.apiKey],
    ];
    for (const [path, key] of routes) {
      const ok = await t.request(path, { key });
      expect([path, ok.status]).toEqual([path, 200]);
      const response = await t.request(`${path}?affiliateld=aff_3`, { key });
      expect([path, response.status]).toEqual([path, 422]);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('validation_failed');
      expect(body.error.message).toContain('affiliateld');
    }
  });

  it('filters orders by affiliate, held, status and placed range, paging with a cursor', async () => {
    await order(tenant.link.code, 'A-1', 'order.paid');
    t.clock.advance(86_400_000);
    await order(tenant.link.code, 'A-2', 'order.completed');
    // An order from an affiliate suspended after the click is held for review.
    await order(otherLink.code, 'B-1', 'order.paid', async () => {
      const suspend = await t.request(`/v1/programs/${tenant.program.id}/affiliates/${other.id}/suspend`, {
        method: 'POST',
        key: tenant.merchant.apiKey,
      });
      expect(suspend.status).toBe(200);
    });
    const day = (offset: number) => new Date(t.clock.now().getTime() + offset * 86_400_000).toISOString().slice(0, 10);

    expect((await ids(`affiliateId=${tenant.affiliate.id}`)).ids).toEqual(['A-1', 'A-2']);
    expect((await ids(`affiliateId=${other.id}`)).ids).toEqual(['B-1']);
    expect((await ids('held=true')).ids).toEqual(['B-1']);
    expect((await ids('held=false')).ids).toEqual(['A-1', 'A-2']);
    expect((await ids('status=completed')).ids).toEqual(['A-2']);
    expect((await ids(`from=${day(0)}&to=${day(0)}`)).ids).toEqual(['A-2', 'B-1']);
    expect((await ids(`to=${day(-1)}`)).ids).toEqual(['A-1']);
    expect((await ids(`affiliateId=${tenant.affiliate.id}&status=paid&held=false`)).ids).toEqual(['A-1']);
    // An affiliate sees only its own, whatever it asks for.
    expect((await ids(`affiliateId=${other.id}`, tenant.affiliate.apiKey)).ids).toEqual([]);
    // The cursor walks the filtered list a page at a time.
    const seen: string[] = [];
    let after = '';
    for (;;) {
      const page = await ids(`limit=1&held=false${after ? `&after=${after}` : ''}`);
      seen.push(...page.ids);
      if (!page.next) break;
      after = page.next;
    }
    expect(seen).toEqual(['A-1', 'A-2']);
    const bad = await t.request('/v1/orders?affiliateId=prg_1', { key: tenant.merchant.apiKey });
    expect(bad.status).toBe(422);
    expect(await t.request('/v1/orders?held=yes', { key: tenant.merchant.apiKey }).then((r) => r.status)).toBe(422);
  });
});
