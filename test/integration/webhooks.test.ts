import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { dispatchWebhooks } from '../../src/webhooks/webhook-dispatcher';
import { orderEvent, sendOrder } from '../support/shop';
import { type Receiver, startReceiver, verify } from '../support/webhook-receiver';
import { ADMIN_TOKEN, createTenant, startTestApp, TEST_IP_HEADER, type Tenant, type TestApp } from '../support/test-app';

let t: TestApp;
let tenant: Tenant;
let receiver: Receiver;
const dispatch = (options = {}) => dispatchWebhooks({ ...t.deps, allowPrivate: true }, options);

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

async function subscribe(events: string[], key = tenant.merchant.apiKey, path = '/hook') {
  const res = await t.request('/v1/webhook-endpoints', { method: 'POST', key, json: { url: `${receiver.url}${path}`, events } });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; secret: string };
}

async function click(query = '') {
  const visit = await t.request(`/c/${tenant.link.code}${query}`, {
    headers: { 'user-agent': 'Mozilla/5.0 Chrome/131.0', [TEST_IP_HEADER]: '192.0.2.1' },
  });
  return new URL(visit.headers.get('location')!).searchParams.get('clid')!;
}

async function order(id: string, clickId: string, type = 'order.paid') {
  const res = await sendOrder(t, tenant.merchant.webhookSecret, orderEvent(tenant.program.id, type, { id, clickId }));
  expect(res.status).toBeLessThan(300);
  return res;
}

interface DeliveryLog {
  deliveries: {
    id: string;
    eventId: string;
    eventType: string;
    status: string;
    attempts: number;
    lastStatusCode: number | null;
    nextAttemptAt: string | null;
    attemptLog: { attempt: number; statusCode: number | null; error: string | null }[];
  }[];
}

async function deliveries(endpointId: string) {
  const res = await t.request(`/v1/webhook-endpoints/${endpointId}/deliveries`, { key: tenant.merchant.apiKey });
  expect(res.status).toBe(200);
  return ((await res.json()) as DeliveryLog).deliveries;
}

describe('merchant webhooks', () => {
  it('delivers sale.created signed, retries a 500 with backoff, logs both attempts, and replays with the same webhook-id', async () => {
    const endpoint = await subscribe(['sale.created', 'sale.updated']);
    expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    const listed = (await (await t.request('/v1/webhook-endpoints', { key: tenant.merchant.apiKey })).json()) as {
      endpoints: Record<string, unknown>[];
    };
    expect(listed.endpoints).toEqual([
      {
        id: endpoint.id,
        url: `${receiver.url}/hook`,
        events: ['sale.created', 'sale.updated'],
        description: '',
        createdAt: expect.any(String),
        pausedAt: null,
        disabledAt: null,
        disabledReason: null,
        previousSecretExpiresAt: null,
      },
    ]);

    await order('W-1', await click());
    receiver.script.push((res) => res.writeHead(500).end('try later'));
    expect(await dispatch()).toEqual({ fannedOut: 1, attempted: 1, delivered: 0 });
    expect(receiver.received).toHaveLength(1);

    let [log] = await deliveries(endpoint.id);
    expect(log).toMatchObject({ eventType: 'sale.created', status: 'pending', attempts: 1, lastStatusCode: 500 });
    const wait = Date.parse(log!.nextAttemptAt!) - t.clock.now().getTime();
    expect(wait).toBeGreaterThanOrEqual(60_000); // the first retry: 1 min, stretched by up to 10 %
    expect(wait).toBeLessThanOrEqual(66_000);

    // Not due yet: nothing is sent.
    t.clock.advance(30_000);
    expect((await dispatch()).attempted).toBe(0);
    t.clock.advance(40_000);
    expect(await dispatch()).toEqual({ fannedOut: 0, attempted: 1, delivered: 1 });
    expect(receiver.received).toHaveLength(2);

    const [first, second] = receiver.received;
    expect(second!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    expect(second!.body).toBe(first!.body);
    const event = verify(endpoint.secret, second!);
    expect(event).toEqual({
      id: first!.headers['webhook-id'],
      type: 'sale.created',
      createdAt: '2026-11-25T10:00:00.000Z',
      data: {
        id: 'W-1',
        programId: tenant.program.id,
        status: 'paid',
        currency: 'EUR',
        revenue: '94.80', // 2 × 49.90 − 5.00
        placedAt: expect.any(String),
        completedAt: null,
        method: 'click',
        linkId: tenant.link.id,
        held: false,
        affiliateId: tenant.affiliate.id,
        reason: 'valid_click',
        version: expect.any(Number),
      },
    });
    // A tampered body does not verify.
    expect(() => verify(endpoint.secret, { ...second!, body: second!.body.replace('94.80', '94.81') })).toThrow();

    [log] = await deliveries(endpoint.id);
    expect(log).toMatchObject({ status: 'delivered', attempts: 2, lastStatusCode: 200, nextAttemptAt: null });
    expect(log!.attemptLog.map((a) => [a.attempt, a.statusCode])).toEqual([
      [1, 500],
      [2, 200],
    ]);

    const replay = await t.request(`/v1/webhook-deliveries/${log!.id}/replay`, { method: 'POST', key: tenant.merchant.apiKey });
    expect(replay.status).toBe(202);
    expect(await dispatch()).toMatchObject({ attempted: 1, delivered: 1 });
    expect(receiver.received).toHaveLength(3);
    expect(receiver.received[2]!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    expect(verify(endpoint.secret, receiver.received[2]!).id).toBe(event.id);
    expect((await deliveries(endpoint.id))[0]!.attempts).toBe(3);

    // A refund of the same order: sale.updated, a newer version, the revenue after the refund.
    t.clock.advance(60_000);
    const refund = orderEvent(tenant.program.id, 'order.refunded', {
      id: 'W-1',
      items: [{ sku: 'S1', category: 'shoes', quantity: 2, unitPrice: '49.90', discount: '5.00', refundedQuantity: 1 }],
    });
    expect((await sendOrder(t, tenant.merchant.webhookSecret, refund)).status).toBeLessThan(300);
    await dispatch();
    const updated = verify(endpoint.secret, receiver.received[3]!);
    expect(updated.type).toBe('sale.updated');
    expect(updated.data.version).toBeGreaterThan(event.data.version as number);
    // One of the two pairs back: 94.80 − (49.90 − 2.50), the order still paid.
    expect(updated.data).toMatchObject({ id: 'W-1', status: 'paid', revenue: '47.40' });
  });

  it('answers the order intake at once while a receiver hangs, and times the hanging attempt out', async () => {
    const endpoint = await subscribe(['sale.created']);
    const clickId = await click();
    await order('H-1', clickId);
    receiver.script.push(() => {}); // never answers
    const running = dispatch({ timeoutMs: 1500 });
    await vi.waitFor(() => expect(receiver.received).toHaveLength(1));
    const started = performance.now();
    await order('H-2', clickId);
    expect(performance.now() - started).toBeLessThan(500);
    expect(await running).toMatchObject({ attempted: 1, delivered: 0 });
    const log = await deliveries(endpoint.id);
    const hung = log.find((d) => d.attemptLog[0]?.error?.includes('timed out'));
    expect(hung).toMatchObject({ status: 'pending', attempts: 1, lastStatusCode: null });
    // H-2 waits for the next run; the hung one for its backoff.
    expect(await dispatch()).toMatchObject({ fannedOut: 1, attempted: 1, delivered: 1 });
  });

  it('follows no redirect (a 3xx is a failure) and keeps only the first 1 KB of an answer', async () => {
    const endpoint = await subscribe(['sale.created']);
    await order('R-1', await click());
    receiver.script.push((res) => res.writeHead(302, { location: `${receiver.url}/elsewhere` }).end());
    expect(await dispatch()).toMatchObject({ attempted: 1, delivered: 0 });
    expect(receiver.received.map((r) => r.url)).toEqual(['/hook']);
    t.clock.advance(70_000);
    receiver.script.push((res) => res.writeHead(200).end('x'.repeat(100_000)));
    expect(await dispatch()).toMatchObject({ attempted: 1, delivered: 1 });
    const [log] = await deliveries(endpoint.id);
    expect(log!.attemptLog.map((a) => [a.statusCode, a.error])).toEqual([
      [302, 'HTTP 302'],
      [200, null],
    ]);
    const answers = (await (
      await t.request(`/v1/webhook-endpoints/${endpoint.id}/deliveries`, { key: tenant.merchant.apiKey })
    ).json()) as {
      deliveries: { attemptLog: { response: string }[] }[];
    };
    expect(answers.deliveries[0]!.attemptLog[1]!.response).toBe('x'.repeat(1024));
  });

  it('refuses an http or private URL without WEBHOOK_ALLOW_PRIVATE, and an event a merchant cannot receive', async () => {
    const strict = await startTestApp();
    try {
      const merchant = (await (
        await strict.request('/v1/merchants', { method: 'POST', key: ADMIN_TOKEN, json: { name: 'S' } })
      ).json()) as {
        apiKey: string;
      };
      for (const url of [
        `${receiver.url}/hook`,
        'https://127.0.0.1/hook',
        'https://10.1.2.3/x',
        'https://localhost/x',
        'ftp://x.example/',
      ]) {
        const res = await strict.request('/v1/webhook-endpoints', {
          method: 'POST',
          key: merchant.apiKey,
          json: { url, events: ['sale.created'] },
        });
        expect(res.status, url).toBe(422);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('validation_failed');
      }
      const payout = await strict.request('/v1/webhook-endpoints', {
        method: 'POST',
        key: merchant.apiKey,
        json: { url: 'https://hooks.example/x', events: ['payout.paid'] },
      });
      expect(payout.status).toBe(422);
      expect((await strict.request('/v1/webhook-endpoints', { key: merchant.apiKey }).then((r) => r.json())) as unknown).toEqual({
        endpoints: [],
      });
    } finally {
      await strict.close();
    }
  });

  it("keeps one merchant out of another's endpoints and deliveries, and stops delivering once an endpoint is deleted", async () => {
    const endpoint = await subscribe(['sale.created']);
    const other = await createTenant(t, 'Other');
    expect((await t.request(`/v1/webhook-endpoints/${endpoint.id}/deliveries`, { key: other.merchant.apiKey })).status).toBe(404);
    expect(
      (await t.request(`/v1/webhook-endpoints/${endpoint.id}`, { method: 'DELETE', key: other.merchant.apiKey })).status,
    ).toBe(404);
    await order('D-1', await click());
    // The first attempt fails, so the delivery waits for its retry when the endpoint goes.
    receiver.script.push((res) => res.writeHead(500).end('try later'));
    await dispatch();
    expect(receiver.received).toHaveLength(1);
    expect(
      (await t.request(`/v1/webhook-endpoints/${endpoint.id}`, { method: 'DELETE', key: tenant.merchant.apiKey })).status,
    ).toBe(204);
    t.clock.advance(24 * 3600 * 1000);
    expect(await dispatch()).toMatchObject({ delivered: 0 });
    expect(receiver.received).toHaveLength(1);
    const rows = t.store.raw.prepare('SELECT status, last_error FROM webhook_deliveries').all();
    expect(rows).toEqual([{ status: 'failed', last_error: 'endpoint deleted' }]);
  });
});

describe('the commission and payout events', () => {
  it('follows a sale to commission.approved for the merchant and payout.created / payout.paid for finance, to the cent', async () => {
    const merchantHook = await subscribe(['commission.created', 'commission.approved']);
    const finance = (
      (await (await t.request('/v1/finance-keys', { method: 'POST', key: ADMIN_TOKEN })).json()) as { apiKey: string }
    ).apiKey;
    const financeHook = await subscribe(['payout.created', 'payout.paid'], finance, '/finance');
    const clickId = await click();
    await order('L-1', clickId, 'order.completed');
    const batch = async () =>
      expect(
        (await t.request('/v1/admin/batch', { method: 'POST', key: ADMIN_TOKEN, json: { asOf: t.clock.now().toISOString() } }))
          .status,
      ).toBe(200);
    await batch();
    t.clock.advance(15 * 86_400_000); // past the 14-day lock period
    await batch();
    const payout = await t.request('/v1/payouts', {
      method: 'POST',
      key: finance,
      json: { asOf: t.clock.now().toISOString(), minimumAmount: '1.00' },
    });
    expect(payout.status).toBe(201);
    const { id: payoutId } = (await payout.json()) as { id: string };
    expect((await t.request(`/v1/payouts/${payoutId}/paid`, { method: 'POST', key: finance, json: {} })).status).toBe(200);

    expect(await dispatch()).toMatchObject({ fannedOut: 4, attempted: 4, delivered: 4 });
    const received = (path: string, secret: string) =>
      receiver.received.filter((r) => r.url === path).map((r) => verify(secret, r));
    const merchantEvents = received('/hook', merchantHook.secret);
    expect(merchantEvents.map((e) => [e.type, e.data.status, e.data.amount, e.data.orderId])).toEqual([
      ['commission.created', 'pending', '7.58', 'L-1'],
      ['commission.approved', 'approved', '7.58', 'L-1'],
    ]);
    const financeEvents = received('/finance', financeHook.secret);
    expect(financeEvents.map((e) => [e.type, e.data.id, e.data.status, e.data.total])).toEqual([
      ['payout.created', payoutId, 'created', { EUR: '7.58' }],
      ['payout.paid', payoutId, 'paid', { EUR: '7.58' }],
    ]);
    // The run as of the event: a replay after the run's row changed carries the same body.
    const firstPayout = receiver.received.find((r) => r.url === '/finance')!;
    t.store.raw.prepare("UPDATE payouts SET as_of = '2030-01-01T00:00:00.000Z', minimum_amount = '99.00'").run();
    const logged = (await (
      await t.request(`/v1/webhook-endpoints/${financeHook.id}/deliveries`, { key: finance })
    ).json()) as DeliveryLog;
    const created = logged.deliveries.find((d) => d.eventType === 'payout.created')!;
    expect((await t.request(`/v1/webhook-deliveries/${created.id}/replay`, { method: 'POST', key: finance })).status).toBe(202);
    await dispatch();
    const again = receiver.received.at(-1)!;
    expect(again.headers['webhook-id']).toBe(firstPayout.headers['webhook-id']);
    expect(again.body).toBe(firstPayout.body);
    // Each endpoint's secret signs only its own deliveries.
    expect(() =>
      verify(
        merchantHook.secret,
        receiver.received.find((r) => r.url === '/finance')!,
      ),
    ).toThrow();
  });

  it('writes no event when the change that causes it rolls back', async () => {
    const finance = (
      (await (await t.request('/v1/finance-keys', { method: 'POST', key: ADMIN_TOKEN })).json()) as { apiKey: string }
    ).apiKey;
    await subscribe(['payout.created'], finance);
    const now = t.clock.now().toISOString();
    const insertPayout = t.deps.db
      .insertInto('payouts')
      .values({ as_of: now, minimum_amount: '1.00', currency: null, status: 'created', created_at: now, settled_at: null })
      .compile();
    // The second statement breaks a NOT NULL constraint: the unit of work, trigger included, is undone.
    const broken = t.deps.db
      .insertInto('merchants')
      .values({ name: null as never, created_at: now })
      .compile();
    await expect(t.deps.writes.commit([insertPayout, broken])).rejects.toThrow();
    const count = () => (t.store.raw.prepare('SELECT count(*) AS n FROM outbound_events').get() as { n: number }).n;
    expect(count()).toBe(0);
    await t.deps.writes.commit([insertPayout]);
    expect(count()).toBe(1);
  });
});

describe('affiliate postbacks', () => {
  it('fires commission.created with every macro URL-encoded and exactly right, to the cent', async () => {
    const macros = [
      'event',
      'transaction_id',
      'click_id',
      'sub1',
      'sub2',
      'sub3',
      'sub4',
      'sub5',
      'order_id',
      'amount',
      'payout',
      'currency',
      'status',
      'program_id',
      'link_id',
      'timestamp',
    ];
    const put = await t.request('/v1/affiliates/me/postback', {
      method: 'PUT',
      key: tenant.affiliate.apiKey,
      json: { url: `${receiver.url}/pb?${macros.map((m) => `${m}={${m}}`).join('&')}` },
    });
    expect(put.status).toBe(200);
    const unknown = await t.request('/v1/affiliates/me/postback', {
      method: 'PUT',
      key: tenant.affiliate.apiKey,
      json: { url: `${receiver.url}/pb?x={nope}` },
    });
    expect(unknown.status).toBe(422);

    const clickId = await click(
      '?sub1=spring%20sale%20%26%20more&sub2=a%2Bb%3Dc&sub3=%C3%A9t%C3%A9&sub4=100%25&sub5=x%2Fy%3Fz%23w',
    );
    await order('P-1/#&?', clickId);
    const placedEventAt = t.clock.now().toISOString();
    const batch = await t.request('/v1/admin/batch', {
      method: 'POST',
      key: ADMIN_TOKEN,
      json: { asOf: t.clock.now().toISOString() },
    });
    expect(batch.status).toBe(200);
    expect(await dispatch()).toMatchObject({ attempted: 1, delivered: 1 });
    const [hit] = receiver.received;
    expect(hit!.method).toBe('GET');
    const query = new URL(hit!.url, receiver.url).searchParams;
    expect(Object.fromEntries(query)).toEqual({
      event: 'commission.created',
      transaction_id: expect.stringMatching(/^\d+:/),
      click_id: clickId,
      sub1: 'spring sale & more',
      sub2: 'a+b=c',
      sub3: 'été',
      sub4: '100%',
      sub5: 'x/y?z#w',
      order_id: 'P-1/#&?',
      amount: '94.80',
      payout: '7.58', // 8 % of 94.80 = 7.584, rounded half away from zero
      currency: 'EUR',
      status: 'pending',
      program_id: tenant.program.id,
      link_id: tenant.link.id,
      timestamp: placedEventAt,
    });
    // The raw query keeps the reserved characters encoded.
    expect(hit!.url).toContain('sub1=spring%20sale%20%26%20more');
    expect(hit!.url).toContain('sub2=a%2Bb%3Dc');
    expect(hit!.url).toContain('sub5=x%2Fy%3Fz%23w');
    expect(hit!.url).toContain('order_id=P-1%2F%23%26%3F');
  });
});
