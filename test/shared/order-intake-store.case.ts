import { beforeAll, describe, expect, it } from 'vitest';
import type { OrderEventType, OrderSnapshot } from '../../src/domain/order';
import type {
  AttributionLookups,
  NewOrderAttribution,
  OrderDeliveryRecord,
  OrderIntakeStore,
} from '../../src/store/order-intake-store';

/**
 * One behaviour suite for every OrderIntakeStore (hono's `common.case.test.ts` habit): the
 * SQLite adapter runs it under Node, the D1 adapter inside workerd over Miniflare's D1. Each
 * test uses its own order ids, so the harness is opened and seeded once per file.
 */
export interface OrderIntakeHarness {
  store: OrderIntakeStore;
  run(sql: string, ...params: unknown[]): Promise<void>;
  all<T>(sql: string, ...params: unknown[]): Promise<T[]>;
}

const NOW = '2026-01-01T00:00:00.000Z';

async function seed(h: OrderIntakeHarness) {
  const plan = JSON.stringify({ default: { percent: '8' } });
  await h.run(`INSERT INTO merchants (id, name, created_at) VALUES (1, 'Shared Shop', '${NOW}')`);
  await h.run(`INSERT INTO affiliates (id, name, created_at) VALUES (1, 'Ada', '${NOW}'), (2, 'Bob', '${NOW}')`);
  for (const id of [1, 2]) {
    await h.run(
      `INSERT INTO programs (id, merchant_id, name, landing_url, allowed_domains, currency, cookie_days, lock_days, plan, status, created_at, updated_at)
       VALUES (?, 1, 'P', 'https://shop.example/', '["shop.example"]', 'EUR', 30, 0, ?, 'active', ?, ?)`,
      id,
      plan,
      NOW,
      NOW,
    );
  }
  await h.run(
    `INSERT INTO program_affiliates (program_id, affiliate_id, status, created_at, updated_at) VALUES (1, 1, 'approved', ?, ?), (1, 2, 'suspended', ?, ?)`,
    NOW,
    NOW,
    NOW,
    NOW,
  );
  await h.run(`INSERT INTO links (id, code, program_id, affiliate_id, created_at) VALUES (1, 'shared01', 1, 1, ?)`, NOW);
  await h.run(
    `INSERT INTO clicks (click_id, link_id, program_id, affiliate_id, clicked_at, ip_hash, visitor_hash, user_agent_id, browser, os, device,
       is_bot, is_unique, country, referer_host, paid_search_param) VALUES ('clk-paid', 1, 1, 1, ?, 'h', 'v', 0, '', '', '', 0, 1, '', '', 'gclid')`,
    NOW,
  );
  await h.run(`INSERT INTO coupons (program_id, code, affiliate_id, created_at) VALUES (1, 'SAVE10', 2, ?)`, NOW);
  await h.run(
    `INSERT INTO affiliate_customer_refs (merchant_id, affiliate_id, customer_ref, created_at) VALUES (1, 1, 'cust-7', ?)`,
    NOW,
  );
}

let orders = 0;
const nextOrderId = () => `ord-${++orders}-${Math.random().toString(36).slice(2, 8)}`;

function snapshot(id: string, refundedQuantity = 0): OrderSnapshot {
  return {
    id,
    currency: 'EUR',
    shippingMinor: 490,
    taxMinor: 0,
    nonCashMinor: 0,
    customerId: 'cust-7',
    lines: [{ sku: 'S1', category: 'shoes', quantity: 2, unitPriceMinor: 4990, discountMinor: 500, refundedQuantity }],
  };
}

function delivery(
  orderId: string,
  type: OrderEventType,
  occurredAt: string,
  options: { deliveryId?: string; programId?: number; refunded?: number } = {},
): OrderDeliveryRecord {
  const order = snapshot(orderId, options.refunded);
  return {
    merchantId: 1,
    programId: options.programId ?? 1,
    channel: 'webhook',
    deliveryId: options.deliveryId ?? `dlv-${orderId}-${type}`,
    type,
    occurredAt,
    order,
    // The store treats the hash as an opaque key of the content; any deterministic text will do.
    contentHash: `${type}|${occurredAt}|${orderId}|${options.refunded ?? 0}`,
  };
}

/** Attribution from what the lookups report, so the test sees the facts the store read. */
function attributeFromLookups(calls: string[]) {
  return (l: AttributionLookups): NewOrderAttribution => {
    const click = l.clickRow('clk-paid');
    const missing = l.clickRow('clk-missing');
    const coupon = l.couponOwner(1, 'SAVE10');
    const member = l.membership(1, 1);
    const suspended = l.membership(1, coupon ?? 0);
    const customer = l.isCustomer(1, 1, 'cust-7');
    calls.push('attributed');
    return {
      method: 'click',
      reason: `paid=${click?.paidSearchParam} missing=${missing === undefined} coupon=${coupon} member=${member} other=${suspended} customer=${customer}`,
      affiliateId: 1,
      linkId: 1,
      clickId: 'clk-paid',
      couponCode: null,
      held: false,
      receipt: { read: true },
    };
  };
}

export function describeOrderIntakeStore(name: string, open: () => Promise<OrderIntakeHarness>) {
  describe(`OrderIntakeStore on ${name}`, () => {
    let h: OrderIntakeHarness;
    beforeAll(async () => {
      h = await open();
      await seed(h);
    });

    const orderRow = async (externalId: string) =>
      (
        await h.all<{
          id: number;
          status: string;
          affiliate_id: number | null;
          attribution_reason: string;
          completed_at: string | null;
          refunded_minor: number;
        }>(
          'SELECT id, status, affiliate_id, attribution_reason, completed_at, refunded_minor FROM orders WHERE merchant_id = 1 AND external_id = ?',
          externalId,
        )
      )[0];
    const eventCount = async (externalId: string) =>
      (
        await h.all<{ n: number }>(
          'SELECT count(*) AS n FROM order_events e JOIN orders o ON o.id = e.order_id WHERE o.external_id = ?',
          externalId,
        )
      )[0]!.n;

    it('stores a new order attributed once from the facts its lookups read', async () => {
      const id = nextOrderId();
      const calls: string[] = [];
      const outcome = await h.store.record(
        delivery(id, 'order.created', '2026-01-02T10:00:00.000Z'),
        attributeFromLookups(calls),
      );
      expect(outcome).toMatchObject({
        kind: 'stored',
        order: { externalId: id, programId: 1, status: 'created', affiliateId: 1, method: 'click' },
      });
      const row = await orderRow(id);
      expect(row).toMatchObject({ status: 'created', affiliate_id: 1 });
      expect(row!.attribution_reason).toBe('paid=gclid missing=true coupon=2 member=approved other=suspended customer=true');
      expect(await eventCount(id)).toBe(1);
      // A later event never attributes again.
      await h.store.record(delivery(id, 'order.paid', '2026-01-02T11:00:00.000Z'), attributeFromLookups(calls));
      expect(calls.filter((c) => c === 'attributed')).toHaveLength(1);
    });

    it('answers a replayed delivery id as a duplicate naming the same order, and changes nothing', async () => {
      const id = nextOrderId();
      const first = delivery(id, 'order.created', '2026-01-02T10:00:00.000Z');
      await h.store.record(first, attributeFromLookups([]));
      const before = await h.all('SELECT * FROM orders WHERE external_id = ?', id);
      const again = await h.store.record(first, attributeFromLookups([]));
      expect(again).toMatchObject({ kind: 'duplicate', order: { externalId: id, status: 'created' } });
      expect(await h.all('SELECT * FROM orders WHERE external_id = ?', id)).toEqual(before);
      expect(await eventCount(id)).toBe(1);
    });

    it('answers a delivery id already used for another order as a duplicate naming that order, storing nothing', async () => {
      const first = nextOrderId();
      const other = nextOrderId();
      const used = delivery(first, 'order.created', '2026-01-02T10:00:00.000Z');
      await h.store.record(used, attributeFromLookups([]));
      const reused = await h.store.record(
        delivery(other, 'order.created', '2026-01-02T10:00:00.000Z', { deliveryId: used.deliveryId }),
        attributeFromLookups([]),
      );
      expect(reused).toMatchObject({ kind: 'duplicate', order: { externalId: first } });
      expect(await orderRow(other)).toBeUndefined();
      expect(await eventCount(first)).toBe(1);
    });

    it('stores the rest of a group in which a delivery id already used for another order comes back', async () => {
      const used = delivery(nextOrderId(), 'order.created', '2026-01-02T10:00:00.000Z');
      await h.store.record(used, attributeFromLookups([]));
      const ids = Array.from({ length: 5 }, () => nextOrderId());
      const at = '2026-01-02T11:00:00.000Z';
      // Recorded together, so that they share one transaction where the store groups them.
      const answers = await Promise.all(
        ids.map((id, i) =>
          h.store.record(
            delivery(id, 'order.created', at, i === 2 ? { deliveryId: used.deliveryId } : {}),
            attributeFromLookups([]),
          ),
        ),
      );
      expect(answers[2]).toMatchObject({ kind: 'duplicate', order: { externalId: used.order.id } });
      expect(await orderRow(ids[2]!)).toBeUndefined();
      for (const i of [0, 1, 3, 4]) {
        expect(answers[i]).toMatchObject({ kind: 'stored', order: { externalId: ids[i] } });
        expect(await eventCount(ids[i]!)).toBe(1);
      }
      expect(await eventCount(used.order.id)).toBe(1);
    });

    it('answers the same content under a new delivery id as a duplicate', async () => {
      const id = nextOrderId();
      await h.store.record(delivery(id, 'order.created', '2026-01-02T10:00:00.000Z'), attributeFromLookups([]));
      const copy = await h.store.record(
        delivery(id, 'order.created', '2026-01-02T10:00:00.000Z', { deliveryId: 'another-id-' + id }),
        attributeFromLookups([]),
      );
      expect(copy.kind).toBe('duplicate');
      expect(await eventCount(id)).toBe(1);
    });

    it('re-derives the state from every event, whatever order they arrive in', async () => {
      const id = nextOrderId();
      const events = [
        delivery(id, 'order.completed', '2026-01-04T10:00:00.000Z'),
        delivery(id, 'order.created', '2026-01-02T10:00:00.000Z'),
        delivery(id, 'order.refunded', '2026-01-05T10:00:00.000Z', { refunded: 1 }),
        delivery(id, 'order.paid', '2026-01-03T10:00:00.000Z'),
      ];
      for (const e of events) expect((await h.store.record(e, attributeFromLookups([]))).kind).toBe('stored');
      // A partial refund leaves the order completed, with the refunded amount kept.
      expect(await orderRow(id)).toMatchObject({
        status: 'completed',
        completed_at: '2026-01-04T10:00:00.000Z',
        refunded_minor: 4740,
      });
    });

    it("keeps each event's own order after a later event moves the snapshot on", async () => {
      const id = nextOrderId();
      await h.store.record(delivery(id, 'order.created', '2026-01-02T10:00:00.000Z'), attributeFromLookups([]));
      await h.store.record(
        delivery(id, 'order.completed', '2026-01-03T10:00:00.000Z', { refunded: 1 }),
        attributeFromLookups([]),
      );
      const events = await h.all<{ type: string; payload: string }>(
        'SELECT e.type, e.payload FROM order_events e JOIN orders o ON o.id = e.order_id WHERE o.external_id = ? ORDER BY e.occurred_at',
        id,
      );
      expect(events.map((e) => [e.type, JSON.parse(e.payload)])).toEqual([
        ['order.created', snapshot(id, 0)],
        ['order.completed', snapshot(id, 1)],
      ]);
      const [order] = await h.all<{ snapshot: string }>('SELECT snapshot FROM orders WHERE external_id = ?', id);
      expect(JSON.parse(order!.snapshot)).toEqual(snapshot(id, 1));
      // A third event derives from both stored payloads: the refund stays merged in.
      await h.store.record(delivery(id, 'order.paid', '2026-01-02T12:00:00.000Z'), attributeFromLookups([]));
      expect(await orderRow(id)).toMatchObject({ status: 'completed', refunded_minor: 4740 });
    });

    it('refuses an order id already used in another program of the merchant', async () => {
      const id = nextOrderId();
      await h.store.record(delivery(id, 'order.created', '2026-01-02T10:00:00.000Z'), attributeFromLookups([]));
      const other = await h.store.record(
        delivery(id, 'order.paid', '2026-01-03T10:00:00.000Z', { programId: 2 }),
        attributeFromLookups([]),
      );
      expect(other).toEqual({ kind: 'conflict', message: `order ${id} belongs to another program of this merchant` });
      expect(await eventCount(id)).toBe(1);
    });

    it('makes one order and one event of 20 concurrent copies of a delivery, every answer naming it (P5)', async () => {
      const id = nextOrderId();
      const d = delivery(id, 'order.created', '2026-01-02T10:00:00.000Z');
      const outcomes = await Promise.all(Array.from({ length: 20 }, () => h.store.record(d, attributeFromLookups([]))));
      expect(outcomes.filter((o) => o.kind === 'stored')).toHaveLength(1);
      expect(outcomes.filter((o) => o.kind === 'duplicate')).toHaveLength(19);
      for (const o of outcomes) expect(o.kind !== 'conflict' && o.order.externalId).toBe(id);
      expect(await h.all('SELECT id FROM orders WHERE external_id = ?', id)).toHaveLength(1);
      expect(await eventCount(id)).toBe(1);
    });

    it('keeps every one of concurrent different events of a new order and derives the state from all (P8)', async () => {
      const id = nextOrderId();
      const events = [
        delivery(id, 'order.created', '2026-01-02T10:00:00.000Z'),
        delivery(id, 'order.paid', '2026-01-03T10:00:00.000Z'),
        delivery(id, 'order.completed', '2026-01-04T10:00:00.000Z'),
        delivery(id, 'order.refunded', '2026-01-05T10:00:00.000Z', { refunded: 2 }),
      ];
      const outcomes = await Promise.all(events.map((e) => h.store.record(e, attributeFromLookups([]))));
      expect(outcomes.map((o) => o.kind)).toEqual(['stored', 'stored', 'stored', 'stored']);
      expect(await eventCount(id)).toBe(4);
      expect(await orderRow(id)).toMatchObject({
        status: 'refunded',
        completed_at: '2026-01-04T10:00:00.000Z',
        refunded_minor: 9480,
      });
    });
  });
}
