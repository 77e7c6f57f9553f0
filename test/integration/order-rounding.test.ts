import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { orderEvent, sendOrder } from '../support/shop';
import {
  ADMIN_TOKEN,
  approve,
  createAffiliate,
  createLink,
  createMerchant,
  createProgram,
  startTestApp,
  TEST_IP_HEADER,
  type TestApp,
} from '../support/test-app';

/**
 * Plan rounding through the whole path: a new program rounds percent commission once per order
 * and allots it to the lines by largest remainder; `rounding: "line"` keeps the per-line rule;
 * a plan stored before the setting existed stays per line.
 */
let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(() => t.close());

const smallLines = Array.from({ length: 1000 }, (_, i) => ({ sku: `P${i}`, quantity: 1, unitPrice: '0.25' }));

async function tenant(plan: Record<string, unknown>) {
  const merchant = await createMerchant(t);
  const affiliate = await createAffiliate(t, 'Blog');
  const program = await createProgram(t, merchant.apiKey, { plan });
  await approve(t, merchant.apiKey, program.id, affiliate.id);
  const link = await createLink(t, affiliate.apiKey, { programId: program.id });
  return { merchant, affiliate, program, link };
}

async function sell(s: Awaited<ReturnType<typeof tenant>>, id: string) {
  const visit = await t.request(`/c/${s.link.code}`, {
    headers: { 'user-agent': 'Mozilla/5.0 Chrome/131.0', [TEST_IP_HEADER]: '198.51.100.4' },
  });
  const clickId = new URL(visit.headers.get('location')!).searchParams.get('clid')!;
  const event = orderEvent(s.program.id, 'order.paid', { id, clickId, items: smallLines }, t.clock.now().toISOString());
  expect((await sendOrder(t, s.merchant.webhookSecret, event)).status).toBe(200);
}

async function batch() {
  const response = await t.request('/v1/admin/batch', { method: 'POST', key: ADMIN_TOKEN, json: { asOf: t.clock.now().toISOString() } });
  expect(response.status).toBe(200);
}

async function tracked(s: Awaited<ReturnType<typeof tenant>>, id: string) {
  const body = (await (await t.request(`/v1/orders/${id}`, { key: s.merchant.apiKey })).json()) as {
    revenue: string;
    commission: string;
    ledger: { amount: string; slot: string }[];
  };
  const cents = body.ledger.reduce((sum, e) => sum + Math.round(Number(e.amount) * 100), 0);
  return { revenue: body.revenue, commission: body.commission, entries: body.ledger.length, cents };
}

describe('plan rounding', () => {
  it('a new program rounds once per order: 1,000 lines of 0.25 EUR at 2.9 % earn 7.25 EUR, not 10.00', async () => {
    const s = await tenant({ default: { percent: '2.9' } });
    const program = (await (await t.request(`/v1/programs/${s.program.id}`, { key: s.merchant.apiKey })).json()) as {
      plan: { rounding: string };
    };
    expect(program.plan.rounding).toBe('order');
    await sell(s, 'R-1');
    await batch();
    // 725 lines carry a cent; lines allotted nothing have no entry (nothing to append).
    expect(await tracked(s, 'R-1')).toEqual({ revenue: '250.00', commission: '7.25', entries: 725, cents: 725 });
    const earned = (await (await t.request('/v1/earnings', { key: s.affiliate.apiKey })).json()) as {
      balances: { estimated: string }[];
    };
    expect(earned.balances[0]!.estimated).toBe('7.25');
  });

  it('rounding: "line" keeps the per-line rule: the same order earns 10.00', async () => {
    const s = await tenant({ default: { percent: '2.9' }, rounding: 'line' });
    await sell(s, 'L-1');
    await batch();
    expect(await tracked(s, 'L-1')).toEqual({ revenue: '250.00', commission: '10.00', entries: 1000, cents: 1000 });
  });

  it('a plan stored before the setting existed stays per line', async () => {
    const s = await tenant({ default: { percent: '2.9' } });
    // The program's plan as an earlier release stored it: no rounding field.
    t.store.raw.exec(`UPDATE plan_versions SET plan = json_remove(plan, '$.rounding')`);
    t.store.raw.exec(`UPDATE programs SET plan = json_remove(plan, '$.rounding')`);
    await sell(s, 'O-1');
    await batch();
    expect((await tracked(s, 'O-1')).commission).toBe('10.00');
  });

  it('refuses an unknown rounding', async () => {
    const merchant = await createMerchant(t);
    const response = await t.request('/v1/programs', {
      method: 'POST',
      key: merchant.apiKey,
      json: {
        name: 'X',
        landingUrl: 'https://shop.example/',
        allowedDomains: ['shop.example'],
        currency: 'EUR',
        plan: { default: { percent: '2.9' }, rounding: 'banker' },
      },
    });
    expect(response.status).toBe(422);
  });
});
