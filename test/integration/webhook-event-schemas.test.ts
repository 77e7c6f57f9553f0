/**
 * The catalogue's schemas (src/app/schemas/outbound-event.ts) against real deliveries: a scripted
 * history makes every event type, the dispatcher sends them to a real receiver, and each body,
 * verified with standardwebhooks, parses with its type's schema held strict (an extra or missing
 * field fails). /openapi.json's `webhooks` names the same schemas.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { z } from '@hono/zod-openapi';
import { EVENT_CATALOGUE, EVENT_SCHEMAS, eventSchemaName } from '../../src/app/schemas/outbound-event';
import { dispatchWebhooks } from '../../src/webhooks/webhook-dispatcher';
import { orderEvent, sendOrder } from '../support/shop';
import { type Receiver, startReceiver, verify } from '../support/webhook-receiver';
import { ADMIN_TOKEN, createTenant, startTestApp, TEST_IP_HEADER, type Tenant, type TestApp } from '../support/test-app';

let t: TestApp;
let tenant: Tenant;
let receiver: Receiver;

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

/** The schema with no field to spare, in the envelope and in `data`. */
function strict(schema: (typeof EVENT_SCHEMAS)[keyof typeof EVENT_SCHEMAS]) {
  return schema.strict().extend({ data: (schema.shape.data as z.ZodObject).strict() });
}

async function ok(res: Response, status = 200) {
  expect(res.status, await res.clone().text()).toBe(status);
  return res;
}

describe('the event catalogue as schemas', () => {
  it('every event type delivered by a scripted history parses with its own schema, strictly', async () => {
    const hook = async (key: string, events: string[], path: string) =>
      (await (
        await ok(
          await t.request('/v1/webhook-endpoints', { method: 'POST', key, json: { url: `${receiver.url}${path}`, events } }),
          201,
        )
      ).json()) as { id: string; secret: string };
    const merchant = await hook(
      tenant.merchant.apiKey,
      ['sale.created', 'sale.updated', 'commission.created', 'commission.approved', 'commission.reversed'],
      '/merchant',
    );
    const finance = (
      (await (await t.request('/v1/finance-keys', { method: 'POST', key: ADMIN_TOKEN })).json()) as { apiKey: string }
    ).apiKey;
    const operator = await hook(finance, ['payout.created', 'payout.paid', 'payout.failed'], '/finance');

    const visit = await t.request(`/c/${tenant.link.code}`, {
      headers: { 'user-agent': 'Mozilla/5.0 Chrome/131.0', [TEST_IP_HEADER]: '192.0.2.1' },
    });
    const clickId = new URL(visit.headers.get('location')!).searchParams.get('clid')!;
    const order = async (id: string, type: string, extra: Record<string, unknown> = {}) =>
      ok(
        await sendOrder(
          t,
          tenant.merchant.webhookSecret,
          orderEvent(tenant.program.id, type, { id, clickId, ...extra }, t.clock.now().toISOString()),
        ),
      );
    const batch = async () =>
      ok(await t.request('/v1/admin/batch', { method: 'POST', key: ADMIN_TOKEN, json: { asOf: t.clock.now().toISOString() } }));

    await order('S-1', 'order.completed'); // sale.created
    await batch(); // commission.created
    t.clock.advance(15 * 86_400_000);
    await batch(); // commission.approved
    await order('S-2', 'order.paid');
    await batch();
    t.clock.advance(60_000);
    await order('S-2', 'order.refunded', {
      items: [{ sku: 'S1', category: 'shoes', quantity: 2, unitPrice: '49.90', discount: '5.00', refundedQuantity: 2 }],
    }); // sale.updated
    await batch(); // commission.reversed
    const run = async () =>
      (
        (await (
          await ok(
            await t.request('/v1/payouts', {
              method: 'POST',
              key: finance,
              json: { asOf: t.clock.now().toISOString(), minimumAmount: '1.00' },
            }),
            201,
          )
        ).json()) as { id: string }
      ).id;
    await ok(await t.request(`/v1/payouts/${await run()}/failed`, { method: 'POST', key: finance, json: {} }));
    await ok(await t.request(`/v1/payouts/${await run()}/paid`, { method: 'POST', key: finance, json: {} }));
    await ok(await t.request(`/v1/webhook-endpoints/${merchant.id}/test`, { method: 'POST', key: tenant.merchant.apiKey }), 202);

    await dispatchWebhooks({ ...t.deps, allowPrivate: true });
    const events = receiver.received.map((r) => verify(r.url === '/finance' ? operator.secret : merchant.secret, r));
    expect(new Set(events.map((e) => e.type))).toEqual(new Set(EVENT_CATALOGUE));
    for (const event of events) {
      const schema = EVENT_SCHEMAS[event.type as keyof typeof EVENT_SCHEMAS];
      const parsed = strict(schema).safeParse(event);
      expect(parsed.success, `${event.type}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
    }
    // The to-the-cent values the schemas describe, as the history made them.
    const ofType = (type: string) => events.filter((e) => e.type === type).map((e) => e.data);
    expect(ofType('commission.approved').map((d) => [d.orderId, d.amount, d.status])).toEqual([['S-1', '7.58', 'approved']]);
    expect(ofType('sale.updated').map((d) => [d.id, d.status])).toEqual([['S-2', 'refunded']]);
    expect(ofType('payout.paid').map((d) => d.total)).toEqual([{ EUR: '7.58' }]);
  });

  it('/openapi.json lists each event type under webhooks with its component schema', async () => {
    const doc = (await (await t.request('/openapi.json')).json()) as {
      webhooks: Record<string, { post: { requestBody: { content: Record<string, { schema: { $ref: string } }> } } }>;
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    };
    expect(Object.keys(doc.webhooks)).toEqual([...EVENT_CATALOGUE]);
    for (const type of EVENT_CATALOGUE) {
      const name = eventSchemaName(type);
      expect(doc.webhooks[type]!.post.requestBody.content['application/json']!.schema.$ref).toBe(`#/components/schemas/${name}`);
      expect(Object.keys(doc.components.schemas[name]!.properties)).toEqual(['id', 'type', 'createdAt', 'data']);
    }
  });
});
