import { env, SELF } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { clickThrough, signedHeaders } from './api';
import { seed, type Seeded } from './seed';

let s: Seeded;

function signed(body: string, id: string) {
  return signedHeaders(s.webhookSecret, body, id);
}

function orderEvent(orderId: string, clickId: string, type = 'order.created') {
  return JSON.stringify({
    type,
    programId: 'prg_1',
    order: {
      id: orderId,
      clickId,
      currency: 'EUR',
      items: [{ sku: 'S1', category: 'shoes', quantity: 2, unitPrice: '49.90', discount: '5.00' }],
    },
    occurredAt: new Date().toISOString(),
  });
}

const clickId = () => clickThrough(s.linkCode);

describe('signed order intake inside workerd, on D1', () => {
  beforeAll(async () => {
    s = await seed();
  });

  it('attributes an order to the click id it brings back, without waiting for the click row (P2)', async () => {
    const clid = await clickId();
    const body = orderEvent('EDGE-1', clid);
    const response = await SELF.fetch('https://go.example.com/v1/orders', {
      method: 'POST',
      headers: signed(body, 'evt_edge_1'),
      body,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      id: 'EDGE-1',
      programId: 'prg_1',
      status: 'created',
      attribution: { affiliateId: 'aff_1', method: 'click', held: false },
      duplicate: false,
    });
    const row = await env.DB.prepare('SELECT affiliate_id, click_id, revenue_minor FROM orders WHERE external_id = ?')
      .bind('EDGE-1')
      .first();
    expect(row).toEqual({ affiliate_id: 1, click_id: clid, revenue_minor: 9480 });
  });

  it('answers a replay as a duplicate and concurrent copies with one conversion (P4, P5)', async () => {
    const body = orderEvent('EDGE-2', await clickId());
    const headers = signed(body, 'evt_edge_2');
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        SELF.fetch('https://go.example.com/v1/orders', { method: 'POST', headers, body }).then(
          (r) => r.json() as Promise<{ duplicate: boolean }>,
        ),
      ),
    );
    expect(answers.filter((a) => !a.duplicate)).toHaveLength(1);
    const counted = await env.DB.prepare(
      "SELECT (SELECT count(*) FROM orders WHERE external_id = 'EDGE-2') AS orders, (SELECT count(*) FROM order_events WHERE delivery_id = 'evt_edge_2') AS events",
    ).first();
    expect(counted).toEqual({ orders: 1, events: 1 });
  });

  it('refuses a changed body with 401 and stores nothing (P6)', async () => {
    const body = orderEvent('EDGE-3', await clickId());
    const headers = signed(body, 'evt_edge_3');
    const response = await SELF.fetch('https://go.example.com/v1/orders', {
      method: 'POST',
      headers,
      body: body.replace('49.90', '4.99'),
    });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBeTypeOf('string');
    expect(await env.DB.prepare("SELECT count(*) AS n FROM orders WHERE external_id = 'EDGE-3'").first()).toEqual({ n: 0 });
  });

  it('stores an order whose click id was tampered with, unattributed, with the reason', async () => {
    const clid = await clickId();
    const forged = clid.slice(0, -2) + (clid.endsWith('AA') ? 'BB' : 'AA');
    const body = orderEvent('EDGE-4', forged);
    const response = await SELF.fetch('https://go.example.com/v1/orders', {
      method: 'POST',
      headers: signed(body, 'evt_edge_4'),
      body,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      attribution: { affiliateId: null, method: 'none', reason: 'click_bad_signature' },
    });
  });
});
