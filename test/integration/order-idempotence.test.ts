import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { orderEvent, sendOrder, signedHeaders } from '../support/shop';
import { createTenant, startTestApp, type Tenant, type TestApp } from '../support/test-app';
import { prng } from '../support/prng';

let t: TestApp;
let tenant: Tenant;
beforeEach(async () => {
  t = await startTestApp();
  tenant = await createTenant(t);
});
afterEach(async () => {
  await t.close();
});

const scalar = (sql: string) => (t.store.raw.prepare(sql).get() as { n: number }).n;

describe('replays never make a second conversion', () => {
  it('300 orders, each delivery repeated 1–5×, 20% re-sent under new ids, shuffled: one order each (P4)', async () => {
    const random = prng(4);
    const deliveries: { id: string; body: string; order: string }[] = [];
    const distinctEvents = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const types = ['order.created', 'order.paid'];
      if (i % 3 === 0) types.push('order.completed');
      types.forEach((type, k) => {
        const event = orderEvent(
          tenant.program.id,
          type,
          { id: `P4-${i}` },
          `2026-11-25T09:${String(10 + k).padStart(2, '0')}:00Z`,
        );
        const body = JSON.stringify(event);
        distinctEvents.add(body);
        const id = `msg_${i}_${k}`;
        const repeats = 1 + Math.floor(random() * 5);
        for (let r = 0; r < repeats; r++) deliveries.push({ id, body, order: `P4-${i}` });
        if (random() < 0.2) deliveries.push({ id: `resent_${i}_${k}`, body, order: `P4-${i}` });
      });
    }
    for (let i = deliveries.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [deliveries[i], deliveries[j]] = [deliveries[j]!, deliveries[i]!];
    }
    const now = Math.floor(t.clock.now().getTime() / 1000);
    const seen = new Map<string, number>();
    for (const d of deliveries) {
      const response = await t.request('/v1/orders', {
        method: 'POST',
        headers: signedHeaders(tenant.merchant.webhookSecret, d.body, { id: d.id, timestamp: now }),
        body: d.body,
      });
      expect(response.status).toBe(200);
      const result = (await response.json()) as { id: string; duplicate: boolean };
      expect(result.id).toBe(d.order);
      if (!result.duplicate) seen.set(d.order, (seen.get(d.order) ?? 0) + 1);
    }
    expect(deliveries.length).toBeGreaterThan(1500);
    expect(scalar('SELECT COUNT(*) AS n FROM orders')).toBe(300);
    expect(scalar('SELECT COUNT(DISTINCT external_id) AS n FROM orders')).toBe(300);
    expect(scalar('SELECT COUNT(*) AS n FROM order_events')).toBe(distinctEvents.size);
    expect(scalar("SELECT COUNT(*) AS n FROM orders WHERE status = 'completed'")).toBe(100);
    expect(scalar("SELECT COUNT(*) AS n FROM orders WHERE status = 'paid'")).toBe(200);
  });

  it('50 concurrent identical deliveries make one order and every response names it, ×20 rounds (P5)', async () => {
    for (let round = 0; round < 20; round++) {
      const body = JSON.stringify(orderEvent(tenant.program.id, 'order.paid', { id: `P5-${round}` }));
      const headers = signedHeaders(tenant.merchant.webhookSecret, body, {
        id: `p5_${round}`,
        timestamp: Math.floor(t.clock.now().getTime() / 1000),
      });
      const responses = await Promise.all(
        Array.from({ length: 50 }, () => t.request('/v1/orders', { method: 'POST', headers, body })),
      );
      const results = (await Promise.all(responses.map((r) => r.json()))) as { id: string; duplicate: boolean }[];
      expect(responses.every((r) => r.status === 200)).toBe(true);
      expect(new Set(results.map((r) => r.id))).toEqual(new Set([`P5-${round}`]));
      expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    }
    expect(scalar('SELECT COUNT(*) AS n FROM orders')).toBe(20);
    expect(scalar('SELECT COUNT(*) AS n FROM order_events')).toBe(20);
  });

  it('the same order through the webhook and the postback is still one conversion (P4)', async () => {
    const token = (
      (await (await t.request('/v1/postback-tokens', { method: 'POST', key: tenant.merchant.apiKey })).json()) as {
        token: string;
      }
    ).token;
    await sendOrder(t, tenant.merchant.webhookSecret, orderEvent(tenant.program.id, 'order.paid', { id: 'CH-1' }));
    const postback = await t.request(
      `/postback?token=${token}&programId=${tenant.program.id}&orderId=CH-1&amount=94.80&currency=EUR&status=paid`,
    );
    expect(postback.status).toBe(200);
    expect(await postback.json()).toMatchObject({ id: 'CH-1' });
    expect(scalar('SELECT COUNT(*) AS n FROM orders')).toBe(1);
  });
});
