import type { ServerResponse } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dispatchWebhooks } from '../../src/webhooks/webhook-dispatcher';
import { orderEvent, sendOrder } from '../support/shop';
import { createTenant, startTestApp, TEST_IP_HEADER, type Tenant, type TestApp } from '../support/test-app';
import { DashboardBrowser } from '../support/dashboard-browser';
import { type Receiver, startReceiver, verify } from '../support/webhook-receiver';

/** Endpoint lifecycle (docs/webhooks.md): edit, pause/resume, secret rotation, test send, bulk replay, auto-disable. */

let t: TestApp;
let tenant: Tenant;
let receiver: Receiver;
let orders = 0;
const dispatch = (options = {}) => dispatchWebhooks({ ...t.deps, allowPrivate: true }, options);

beforeEach(async () => {
  t = await startTestApp({
    config: { publicUrl: 'https://go.clickledger.test', bodyLimitBytes: 1024 * 1024, webhookAllowPrivate: true },
  });
  tenant = await createTenant(t);
  orders = 0;
  receiver = await startReceiver();
});
afterEach(async () => {
  await receiver.close();
  await t.close();
});

interface Endpoint {
  id: string;
  url: string;
  events: string[];
  description: string;
  secret: string;
  pausedAt: string | null;
  disabledAt: string | null;
  disabledReason: string | null;
  previousSecretExpiresAt: string | null;
}

const call = async (path: string, init: { method?: string; json?: unknown; key?: string } = {}) => {
  const res = await t.request(path, { key: tenant.merchant.apiKey, ...init });
  return { status: res.status, body: (res.status === 204 ? null : await res.json()) as Record<string, unknown> };
};

async function subscribe(events: string[], path = '/hook'): Promise<Endpoint> {
  const res = await call('/v1/webhook-endpoints', { method: 'POST', json: { url: `${receiver.url}${path}`, events } });
  expect(res.status).toBe(201);
  return res.body as unknown as Endpoint;
}

async function sale() {
  const visit = await t.request(`/c/${tenant.link.code}`, {
    headers: { 'user-agent': 'Mozilla/5.0 Chrome/131.0', [TEST_IP_HEADER]: '192.0.2.1' },
  });
  const clickId = new URL(visit.headers.get('location')!).searchParams.get('clid')!;
  const res = await sendOrder(
    t,
    tenant.merchant.webhookSecret,
    orderEvent(
      tenant.program.id,
      'order.paid',
      { id: `L-${++orders}`, clickId, placedAt: t.clock.now().toISOString() },
      t.clock.now().toISOString(),
    ),
  );
  expect(res.status).toBeLessThan(300);
}

interface Delivery {
  id: string;
  eventId: string;
  eventType: string;
  status: string;
  attempts: number;
  lastStatusCode: number | null;
}
async function deliveries(endpointId: string): Promise<Delivery[]> {
  const res = await call(`/v1/webhook-endpoints/${endpointId}/deliveries`);
  expect(res.status).toBe(200);
  return res.body.deliveries as Delivery[];
}

describe('editing an endpoint', () => {
  it('changes url, events and description; refuses a bad url, a foreign event, an empty body and another merchant', async () => {
    const endpoint = await subscribe(['sale.created']);
    const patched = await call(`/v1/webhook-endpoints/${endpoint.id}`, {
      method: 'PATCH',
      json: { url: `${receiver.url}/moved`, events: ['sale.created', 'sale.updated'], description: 'CRM' },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      url: `${receiver.url}/moved`,
      events: ['sale.created', 'sale.updated'],
      description: 'CRM',
    });
    expect(patched.body).not.toHaveProperty('secret');

    for (const json of [{ url: 'ftp://x.example/' }, { events: ['payout.paid'] }, {}, { secret: 'whsec_x' }]) {
      const res = await call(`/v1/webhook-endpoints/${endpoint.id}`, { method: 'PATCH', json });
      expect(res.status, JSON.stringify(json)).toBe(422);
    }
    const other = await createTenant(t, 'Other');
    const foreign = await call(`/v1/webhook-endpoints/${endpoint.id}`, {
      method: 'PATCH',
      key: other.merchant.apiKey,
      json: { description: 'stolen' },
    });
    expect(foreign.status).toBe(404);
    // Nothing changed by the refusals.
    const listed = (await call('/v1/webhook-endpoints')).body.endpoints as Endpoint[];
    expect(listed.map((e) => [e.url, e.events, e.description])).toEqual([
      [`${receiver.url}/moved`, ['sale.created', 'sale.updated'], 'CRM'],
    ]);

    await sale();
    await dispatch();
    expect(receiver.received.map((r) => r.url)).toEqual(['/moved']);
  });
});

describe('pause and resume', () => {
  it('keeps the deliveries of a paused endpoint waiting, and sends every one of them on resume, in order', async () => {
    const endpoint = await subscribe(['sale.created']);
    const paused = await call(`/v1/webhook-endpoints/${endpoint.id}/pause`, { method: 'POST' });
    expect(paused.status).toBe(200);
    expect(paused.body.pausedAt).toBe(t.clock.now().toISOString());
    await sale();
    await sale();
    expect(await dispatch()).toEqual({ fannedOut: 2, attempted: 0, delivered: 0 });
    t.clock.advance(3600_000);
    expect(await dispatch()).toEqual({ fannedOut: 0, attempted: 0, delivered: 0 });
    expect(receiver.received).toHaveLength(0);
    expect((await deliveries(endpoint.id)).map((d) => [d.status, d.attempts])).toEqual([
      ['pending', 0],
      ['pending', 0],
    ]);

    const resumed = await call(`/v1/webhook-endpoints/${endpoint.id}/resume`, { method: 'POST' });
    expect(resumed.status).toBe(200);
    expect(resumed.body.pausedAt).toBeNull();
    expect(await dispatch()).toEqual({ fannedOut: 0, attempted: 2, delivered: 2 });
    expect(receiver.received.map((r) => (JSON.parse(r.body) as { data: { id: string } }).data.id).sort()).toEqual(['L-1', 'L-2']);
  });
});

describe('secret rotation', () => {
  it('signs with both secrets during the grace, each verifying with standardwebhooks, then with the new one only', async () => {
    const endpoint = await subscribe(['sale.created']);
    const bad = await call(`/v1/webhook-endpoints/${endpoint.id}/rotate-secret`, {
      method: 'POST',
      json: { graceSeconds: 8 * 86_400 },
    });
    expect(bad.status).toBe(422);
    const rotated = await call(`/v1/webhook-endpoints/${endpoint.id}/rotate-secret`, {
      method: 'POST',
      json: { graceSeconds: 3600 },
    });
    expect(rotated.status).toBe(200);
    const secret = rotated.body.secret as string;
    expect(secret).toMatch(/^whsec_/);
    expect(secret).not.toBe(endpoint.secret);
    expect(rotated.body.previousSecretExpiresAt).toBe(new Date(t.clock.now().getTime() + 3600_000).toISOString());

    await sale();
    await dispatch();
    const [during] = receiver.received;
    expect(String(during!.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verify(secret, during!).data.id).toBe('L-1');
    expect(verify(endpoint.secret, during!).data.id).toBe('L-1');

    t.clock.advance(3600_000 + 1000);
    await sale();
    await dispatch();
    const after = receiver.received[1]!;
    expect(String(after.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(verify(secret, after).data.id).toBe('L-2');
    expect(() => verify(endpoint.secret, after)).toThrow();
    const listed = (await call('/v1/webhook-endpoints')).body.endpoints as Endpoint[];
    expect(listed[0]).not.toHaveProperty('secret');

    // graceSeconds 0: the old secret stops at once.
    const now = await call(`/v1/webhook-endpoints/${endpoint.id}/rotate-secret`, { method: 'POST', json: { graceSeconds: 0 } });
    expect(now.body.previousSecretExpiresAt).toBeNull();
    await sale();
    await dispatch();
    const third = receiver.received[2]!;
    expect(verify(now.body.secret as string, third).data.id).toBe('L-3');
    expect(() => verify(secret, third)).toThrow();
  });
});

describe('test send and bulk replay', () => {
  it('delivers a signed webhook.test through the dispatcher and shows it in the log', async () => {
    const endpoint = await subscribe(['sale.created']);
    const other = await subscribe(['sale.created'], '/other');
    const queued = await call(`/v1/webhook-endpoints/${endpoint.id}/test`, { method: 'POST' });
    expect(queued.status).toBe(202);
    expect(queued.body).toMatchObject({ status: 'pending', eventId: expect.stringMatching(/^evt_/) });
    expect(await dispatch()).toEqual({ fannedOut: 0, attempted: 1, delivered: 1 });
    expect(receiver.received.map((r) => r.url)).toEqual(['/hook']);
    const event = verify(endpoint.secret, receiver.received[0]!);
    expect(event).toMatchObject({ id: queued.body.eventId, type: 'webhook.test', data: { endpointId: endpoint.id } });
    expect(await deliveries(endpoint.id)).toMatchObject([
      { id: queued.body.id, eventType: 'webhook.test', status: 'delivered', attempts: 1, lastStatusCode: 200 },
    ]);
    expect(await deliveries(other.id)).toEqual([]);
    const foreign = await createTenant(t, 'Other');
    expect(
      (await call(`/v1/webhook-endpoints/${endpoint.id}/test`, { method: 'POST', key: foreign.merchant.apiKey })).status,
    ).toBe(404);
  });

  it('replays every failed delivery in [from, to), and only those', async () => {
    const endpoint = await subscribe(['sale.created']);
    const start = t.clock.now().toISOString();
    await sale(); // L-1: fails for good, after its five retries (1 min, 5 min, 30 min, 2 h, 12 h)
    receiver.script.push((res) => res.writeHead(500).end());
    await dispatch();
    for (let i = 0; i < 5; i++) {
      receiver.script.push((res) => res.writeHead(503).end());
      t.clock.advance(14 * 3600_000); // past the longest backoff, 12 h + 10 %
      expect((await dispatch()).attempted).toBe(1);
    }
    await sale(); // L-2: delivered
    expect(await dispatch()).toMatchObject({ attempted: 1, delivered: 1 });
    t.clock.advance(3600_000);
    const middle = t.clock.now().toISOString();
    t.clock.advance(3600_000);
    await sale(); // L-3: made after `middle`, fails for good as well
    receiver.script.push((res) => res.writeHead(500).end());
    await dispatch();
    for (let i = 0; i < 5; i++) {
      receiver.script.push((res) => res.writeHead(503).end());
      t.clock.advance(14 * 3600_000); // past the longest backoff, 12 h + 10 %
      await dispatch();
    }
    const log = await deliveries(endpoint.id);
    expect(log.map((d) => [d.status, d.attempts])).toEqual([
      ['failed', 6],
      ['delivered', 1],
      ['failed', 6],
    ]);

    const bad = await call(`/v1/webhook-endpoints/${endpoint.id}/replay`, {
      method: 'POST',
      json: { from: middle, to: start, status: 'failed' },
    });
    expect(bad.status).toBe(422);
    const notFailed = await call(`/v1/webhook-endpoints/${endpoint.id}/replay`, {
      method: 'POST',
      json: { from: start, status: 'delivered' },
    });
    expect(notFailed.status).toBe(422);

    const replay = await call(`/v1/webhook-endpoints/${endpoint.id}/replay`, {
      method: 'POST',
      json: { from: start, to: middle, status: 'failed' },
    });
    expect(replay).toEqual({ status: 202, body: { replayed: 1, from: start, to: middle } });
    const before = receiver.received.length;
    expect(await dispatch()).toMatchObject({ attempted: 1, delivered: 1 });
    const resent = receiver.received.slice(before).map((r) => JSON.parse(r.body) as { id: string; data: { id: string } });
    expect(resent.map((e) => e.data.id)).toEqual(['L-1']);
    expect(resent[0]!.id).toBe(log[2]!.eventId);
    expect((await deliveries(endpoint.id)).map((d) => [d.status, d.attempts])).toEqual([
      ['failed', 6],
      ['delivered', 1],
      ['delivered', 7],
    ]);
  });
});

describe('auto-disable', () => {
  it('disables an endpoint after 10 failed attempts in a row spanning 72 h, leaves endpoint.disabled in the outbox, and resume sends what waited', async () => {
    const endpoint = await subscribe(['sale.created']);
    const started = t.clock.now().getTime();
    let failures = 0;
    // A receiver that always answers 500; a sale every 8 h, each retried on its schedule.
    receiver.script.push(...Array.from({ length: 200 }, () => (res: ServerResponse) => res.writeHead(500).end()));
    const state = async () => (await call('/v1/webhook-endpoints')).body.endpoints as Endpoint[];
    while (t.clock.now().getTime() - started < 80 * 3600_000) {
      if ((t.clock.now().getTime() - started) % (8 * 3600_000) === 0) await sale();
      failures += (await dispatch()).attempted;
      if ((await state())[0]!.disabledAt !== null) break;
      t.clock.advance(3600_000);
    }
    const [disabled] = await state();
    // Not before 72 h, although 10 failures came long before.
    const hours = (t.clock.now().getTime() - started) / 3600_000;
    expect(hours).toBeGreaterThanOrEqual(72);
    expect(hours).toBeLessThan(74);
    expect(failures).toBeGreaterThanOrEqual(10);
    expect(disabled!.disabledAt).toBe(t.clock.now().toISOString());
    const reason = /^(\d+) failed attempts in a row since (.+)$/.exec(disabled!.disabledReason!);
    expect(reason?.[2]).toBe(new Date(started).toISOString());
    expect(Number(reason?.[1])).toBeGreaterThanOrEqual(10);
    expect(Number(reason?.[1])).toBeLessThanOrEqual(failures);
    const outbox = t.store.raw
      .prepare(
        "SELECT type, resource_id, json_extract(snapshot, '$.reason') AS reason FROM outbound_events WHERE type = 'endpoint.disabled'",
      )
      .all();
    expect(outbox).toEqual([
      { type: 'endpoint.disabled', resource_id: Number(endpoint.id.slice(4)), reason: disabled!.disabledReason },
    ]);

    // Disabled: new sales still make deliveries, and nothing is sent.
    const sent = receiver.received.length;
    await sale();
    t.clock.advance(24 * 3600_000);
    expect(await dispatch()).toMatchObject({ fannedOut: 1, attempted: 0 });
    expect(receiver.received).toHaveLength(sent);

    receiver.script.length = 0; // the receiver is fixed
    const resumed = await call(`/v1/webhook-endpoints/${endpoint.id}/resume`, { method: 'POST' });
    expect(resumed.body).toMatchObject({ disabledAt: null, disabledReason: null, pausedAt: null });
    const report = await dispatch();
    expect(report.delivered).toBe(report.attempted);
    expect(report.attempted).toBeGreaterThan(0);
    const pending = (await deliveries(endpoint.id)).filter((d) => d.status === 'pending');
    expect(pending).toEqual([]);
    // endpoint.disabled is not delivered to anyone.
    expect(receiver.received.some((r) => r.body.includes('endpoint.disabled'))).toBe(false);
  });

  it('is not disabled by a run of failures that a success interrupts', async () => {
    const endpoint = await subscribe(['sale.created']);
    // Nine failures, one success, again and again, for more than 72 h.
    receiver.script.push(
      ...Array.from({ length: 300 }, (_, i) => (res: ServerResponse) => res.writeHead(i % 10 === 9 ? 200 : 500).end()),
    );
    for (let i = 0; i < 100; i++) {
      if (i % 4 === 0) await sale();
      await dispatch();
      t.clock.advance(3600_000);
    }
    const [state] = (await call('/v1/webhook-endpoints')).body.endpoints as Endpoint[];
    expect(state).toMatchObject({ id: endpoint.id, disabledAt: null });
    expect(t.store.raw.prepare("SELECT count(*) AS n FROM outbound_events WHERE type = 'endpoint.disabled'").get()).toEqual({
      n: 0,
    });
  });
});

describe('the webhooks page', () => {
  it('lists endpoints with their delivery log, and sends a test, pauses, resumes and replays from its buttons', async () => {
    const endpoint = await subscribe(['sale.created']);
    await sale();
    await dispatch();
    const browser = new DashboardBrowser(t);
    expect((await browser.signIn(tenant.merchant.apiKey)).status).toBe(303);
    let page = await (await browser.fetch('/app/merchant/webhooks')).text();
    expect(page).toContain(`data-endpoint="${endpoint.id}"`);
    expect(page).toMatch(/sale\.created[\s\S]*?data-field="status">delivered/);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;

    const tested = await browser.post(`/app/merchant/webhooks/${endpoint.id}/test`, { csrf });
    expect(tested.status).toBe(303);
    await dispatch();
    expect(JSON.parse(receiver.received.at(-1)!.body)).toMatchObject({ type: 'webhook.test' });

    expect((await browser.post(`/app/merchant/webhooks/${endpoint.id}/pause`, { csrf })).status).toBe(303);
    page = await (await browser.fetch('/app/merchant/webhooks')).text();
    expect(page).toMatch(/data-field="state">paused/);
    expect((await browser.post(`/app/merchant/webhooks/${endpoint.id}/resume`, { csrf })).status).toBe(303);

    const [first] = (await deliveries(endpoint.id)).filter((d) => d.eventType === 'sale.created');
    const replayed = await browser.post(`/app/merchant/webhook-deliveries/${first!.id}/replay`, { csrf });
    expect(replayed.status).toBe(303);
    const before = receiver.received.length;
    await dispatch();
    expect(receiver.received.slice(before).map((r) => r.headers['webhook-id'])).toEqual([first!.eventId]);
    // Without the form's token nothing happens.
    expect((await browser.post(`/app/merchant/webhooks/${endpoint.id}/pause`, { csrf: 'wrong' })).status).toBe(403);
    expect(((await call('/v1/webhook-endpoints')).body.endpoints as Endpoint[])[0]!.pausedAt).toBeNull();
  });
});
