import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dispatchWebhooks } from '../../src/webhooks/webhook-dispatcher';
import { orderEvent, sendOrder } from '../support/shop';
import {
  ADMIN_TOKEN,
  approve,
  createAffiliate,
  createLink,
  createProgram,
  createTenant,
  startTestApp,
  TEST_IP_HEADER,
  type Tenant,
  type TestApp,
} from '../support/test-app';
import { DashboardBrowser } from '../support/dashboard-browser';
import { type Receiver, startReceiver } from '../support/webhook-receiver';

/** Affiliate postbacks per program and the affiliate's own delivery log (docs/webhooks.md). */

let t: TestApp;
let tenant: Tenant;
let receiver: Receiver;
const dispatch = () => dispatchWebhooks({ ...t.deps, allowPrivate: true });

beforeEach(async () => {
  t = await startTestApp({
    config: { publicUrl: 'https://go.clickledger.test', bodyLimitBytes: 1024 * 1024, webhookAllowPrivate: true },
  });
  tenant = await createTenant(t);
  receiver = await startReceiver();
});
afterEach(async () => {
  await receiver.close();
  await t.close();
});

async function sale(linkCode: string, programId: string, id: string) {
  const visit = await t.request(`/c/${linkCode}`, {
    headers: { 'user-agent': 'Mozilla/5.0 Chrome/131.0', [TEST_IP_HEADER]: '192.0.2.1' },
  });
  const clickId = new URL(visit.headers.get('location')!).searchParams.get('clid')!;
  const now = t.clock.now().toISOString();
  const res = await sendOrder(
    t,
    tenant.merchant.webhookSecret,
    orderEvent(programId, 'order.paid', { id, clickId, placedAt: now }, now),
  );
  expect(res.status).toBeLessThan(300);
}

async function batch() {
  const res = await t.request('/v1/admin/batch', {
    method: 'POST',
    key: ADMIN_TOKEN,
    json: { asOf: t.clock.now().toISOString() },
  });
  expect(res.status).toBe(200);
}

const put = (key: string, path: string, url: string) => t.request(path, { method: 'PUT', key, json: { url } });

interface Delivery {
  eventType: string;
  status: string;
  attempts: number;
  lastStatusCode: number | null;
  attemptLog: { attempt: number; statusCode: number | null; latencyMs: number; response: string }[];
}

describe('per-program postbacks', () => {
  it("uses a program's own URL instead of the default, fires for an affiliate with only a program URL, and refuses a program not joined", async () => {
    // A second program of the same merchant, which the affiliate joins too.
    const second = await createProgram(t, tenant.merchant.apiKey, { name: 'Autumn' });
    await approve(t, tenant.merchant.apiKey, second.id, tenant.affiliate.id);
    const secondLink = await createLink(t, tenant.affiliate.apiKey, { programId: second.id });
    // Another affiliate in the second program, with a URL for that program only.
    const other = await createAffiliate(t, 'Other');
    await approve(t, tenant.merchant.apiKey, second.id, other.id);
    const otherLink = await createLink(t, other.apiKey, { programId: second.id });

    const key = tenant.affiliate.apiKey;
    expect((await put(key, '/v1/affiliates/me/postback', `${receiver.url}/default?o={order_id}&p={program_id}`)).status).toBe(
      200,
    );
    expect(
      (await put(key, `/v1/affiliates/me/programs/${second.id}/postback`, `${receiver.url}/autumn?o={order_id}&c={payout}`))
        .status,
    ).toBe(200);
    expect((await put(key, `/v1/affiliates/me/programs/${second.id}/postback`, `${receiver.url}/x?{nope}`)).status).toBe(422);
    const foreign = await createTenant(t, 'Foreign');
    expect((await put(key, `/v1/affiliates/me/programs/${foreign.program.id}/postback`, `${receiver.url}/x`)).status).toBe(404);
    expect(
      (await put(other.apiKey, `/v1/affiliates/me/programs/${second.id}/postback`, `${receiver.url}/other?o={order_id}`)).status,
    ).toBe(200);
    const settings = await (await t.request('/v1/affiliates/me/postback', { key })).json();
    expect(settings).toEqual({
      default: { url: `${receiver.url}/default?o={order_id}&p={program_id}`, updatedAt: expect.any(String) },
      programs: [{ programId: second.id, url: `${receiver.url}/autumn?o={order_id}&c={payout}`, updatedAt: expect.any(String) }],
    });

    await sale(tenant.link.code, tenant.program.id, 'S-1');
    await sale(secondLink.code, second.id, 'A-1');
    await sale(otherLink.code, second.id, 'O-1');
    await batch();
    expect(await dispatch()).toMatchObject({ attempted: 3, delivered: 3 });
    expect(receiver.received.map((r) => r.url).sort()).toEqual([
      '/autumn?o=A-1&c=7.58',
      `/default?o=S-1&p=${tenant.program.id}`,
      '/other?o=O-1',
    ]);

    // Without its own URL the program falls back to the default.
    expect((await t.request(`/v1/affiliates/me/programs/${second.id}/postback`, { method: 'DELETE', key })).status).toBe(204);
    expect((await t.request(`/v1/affiliates/me/programs/${second.id}/postback`, { method: 'DELETE', key })).status).toBe(404);
    t.clock.advance(60_000);
    await sale(secondLink.code, second.id, 'A-2');
    await batch();
    await dispatch();
    expect(receiver.received.at(-1)!.url).toBe(`/default?o=A-2&p=${second.id}`);
  });
});

describe("the affiliate's postback log", () => {
  it('shows its own deliveries only, with status, response code and every attempt', async () => {
    const other = await createTenant(t, 'Other');
    expect((await put(tenant.affiliate.apiKey, '/v1/affiliates/me/postback', `${receiver.url}/mine?o={order_id}`)).status).toBe(
      200,
    );
    expect((await put(other.affiliate.apiKey, '/v1/affiliates/me/postback', `${receiver.url}/theirs?o={order_id}`)).status).toBe(
      200,
    );
    await sale(tenant.link.code, tenant.program.id, 'M-1');
    await batch();
    receiver.script.push((res) => res.writeHead(500).end('busy'));
    expect(await dispatch()).toMatchObject({ attempted: 1, delivered: 0 });
    t.clock.advance(70_000);
    expect(await dispatch()).toMatchObject({ attempted: 1, delivered: 1 });

    const log = async (key: string) => {
      const res = await t.request('/v1/affiliates/me/postback/deliveries', { key });
      expect(res.status).toBe(200);
      return ((await res.json()) as { deliveries: Delivery[] }).deliveries;
    };
    const [mine, ...rest] = await log(tenant.affiliate.apiKey);
    expect(rest).toEqual([]);
    expect(mine).toMatchObject({ eventType: 'commission.created', status: 'delivered', attempts: 2, lastStatusCode: 200 });
    expect(mine!.attemptLog.map((a) => [a.attempt, a.statusCode, a.response])).toEqual([
      [1, 500, 'busy'],
      [2, 200, 'ok'],
    ]);
    expect(await log(other.affiliate.apiKey)).toEqual([]);
    expect(
      (await t.request('/v1/affiliates/me/postback/deliveries?status=failed', { key: tenant.affiliate.apiKey })).status,
    ).toBe(422);
    expect((await t.request('/v1/affiliates/me/postback/deliveries', { key: tenant.merchant.apiKey })).status).toBe(403);
  });
});

describe('a test postback', () => {
  it("goes to the URL the program's commissions use, with test values, and shows in the log", async () => {
    const key = tenant.affiliate.apiKey;
    const test = () => t.request(`/v1/affiliates/me/programs/${tenant.program.id}/postback/test`, { method: 'POST', key });
    expect((await test()).status).toBe(422); // no URL yet
    const template = `${receiver.url}/pb?e={event}&o={order_id}&p={program_id}&c={payout}&cur={currency}&st={status}&t={timestamp}`;
    expect((await put(key, '/v1/affiliates/me/postback', template)).status).toBe(200);
    const queued = await test();
    expect(queued.status).toBe(202);
    const other = await createTenant(t, 'Other');
    expect(
      (await t.request(`/v1/affiliates/me/programs/${other.program.id}/postback/test`, { method: 'POST', key })).status,
    ).toBe(404);
    expect(await dispatch()).toMatchObject({ fannedOut: 0, attempted: 1, delivered: 1 });
    const query = Object.fromEntries(new URL(receiver.received[0]!.url, receiver.url).searchParams);
    expect(query).toEqual({
      e: 'postback.test',
      o: 'TEST',
      p: tenant.program.id,
      c: '0',
      cur: 'EUR',
      st: 'test',
      t: t.clock.now().toISOString(),
    });
    const log = (await (await t.request('/v1/affiliates/me/postback/deliveries', { key })).json()) as { deliveries: Delivery[] };
    expect(log.deliveries).toMatchObject([{ eventType: 'postback.test', status: 'delivered', attempts: 1, lastStatusCode: 200 }]);
  });
});

describe('the postbacks page', () => {
  it("shows the affiliate's URLs and its own delivery log, and sends a test from its button", async () => {
    expect((await put(tenant.affiliate.apiKey, '/v1/affiliates/me/postback', `${receiver.url}/mine?o={order_id}`)).status).toBe(
      200,
    );
    await sale(tenant.link.code, tenant.program.id, 'D-1');
    await batch();
    receiver.script.push((res) => res.writeHead(410).end('gone'));
    await dispatch();
    const browser = new DashboardBrowser(t);
    expect((await browser.signIn(tenant.affiliate.apiKey)).status).toBe(303);
    const page = await (await browser.fetch('/app/affiliate/postbacks')).text();
    expect(page).toContain(`${receiver.url}/mine?o={order_id}`);
    expect(page).toMatch(/commission\.created[\s\S]*?data-field="status">pending[\s\S]*?<td>410<\/td>/);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    const sent = await browser.post(`/app/affiliate/postbacks/${tenant.program.id}/test`, { csrf });
    expect(sent.status).toBe(303);
    await dispatch();
    expect(receiver.received.at(-1)!.url).toBe('/mine?o=TEST');
    const after = await (await browser.fetch(sent.headers.get('location')!)).text();
    expect(after).toContain('postback.test');
  });
});
