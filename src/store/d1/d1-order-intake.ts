import { deriveOrderState, type OrderEventFacts, type OrderSnapshot } from '../../domain/order';
import type { OrderStatus } from '../../domain/order';
import type {
  AttributionLookups,
  NewOrderAttribution,
  OrderDeliveryRecord,
  OrderIntakeOutcome,
  OrderIntakeStore,
} from '../order-intake-store';
import { type AsyncAttributionLookups, attributeWithReads } from '../attribute-with-reads';
import {
  EVENT_COLUMNS,
  type EventRow,
  newOrderRow,
  ORDER_COLUMNS,
  STATE_COLUMNS,
  stateColumns,
  summary,
  SUMMARY_COLUMNS as SUMMARY,
  type SummaryRow,
} from '../order-rows';
import type { D1Database } from './d1-types';

/**
 * The order intake on D1, which has no interactive transactions: it reads what it needs first,
 * decides in memory, and commits with one batch() whose statements carry their own guards, so
 * a concurrent copy of the delivery that committed in between makes ours change nothing:
 *
 * - a new order is inserted only if its delivery id is unseen, and its event attaches only to
 *   an order that has no event yet (one created by this same batch: every order is committed
 *   together with its first event, so a concurrent creator's order always has one);
 * - an event for a known order is `ON CONFLICT DO NOTHING` on the delivery id and content hash,
 *   and the re-derived state is written only if the order's events are exactly the ones it was
 *   derived from plus ours (events are only ever appended, so their count names the set).
 *
 * When a guard says someone else got there first, the delivery is read again from the top:
 * the next round sees the other copy and answers duplicate, or re-derives from the larger set.
 */
const MAX_ROUNDS = 8;

const orderColumns = ORDER_COLUMNS.join(', ');
const eventColumns = EVENT_COLUMNS.join(', ');
const eventValues = EVENT_COLUMNS.filter((c) => c !== 'order_id');

const INSERT_NEW_ORDER = `INSERT INTO orders (${orderColumns})
  SELECT ${ORDER_COLUMNS.map(() => '?').join(', ')}
  WHERE NOT EXISTS (SELECT 1 FROM order_events WHERE merchant_id = ? AND delivery_id = ?)
  ON CONFLICT (merchant_id, external_id) DO NOTHING`;
const INSERT_FIRST_EVENT = `INSERT INTO order_events (${eventColumns})
  SELECT o.id, ${eventValues.map(() => '?').join(', ')} FROM orders o
  WHERE o.merchant_id = ? AND o.external_id = ?
    AND NOT EXISTS (SELECT 1 FROM order_events e WHERE e.order_id = o.id)
  ON CONFLICT DO NOTHING`;
const INSERT_EVENT = `INSERT INTO order_events (${eventColumns})
  VALUES (${EVENT_COLUMNS.map(() => '?').join(', ')})
  ON CONFLICT DO NOTHING`;
const UPDATE_STATE = `UPDATE orders SET ${STATE_COLUMNS.map((c) => `${c} = ?`).join(', ')}
  WHERE id = ? AND (SELECT count(*) FROM order_events WHERE order_id = ?) = ?`;


const facts = (e: EventRow): OrderEventFacts => ({
  type: e.type,
  occurredAt: e.occurred_at,
  contentHash: e.content_hash,
  order: JSON.parse(e.payload) as OrderSnapshot,
});

export function createD1OrderIntake(d1: D1Database, clock: { now(): Date }): OrderIntakeStore {
  const first = <T>(sqlText: string, ...params: unknown[]) =>
    d1
      .prepare(sqlText)
      .bind(...params)
      .first<T>();
  const all = async <T>(sqlText: string, ...params: unknown[]) =>
    (
      await d1
        .prepare(sqlText)
        .bind(...params)
        .all<T>()
    ).results;

  const reads: AsyncAttributionLookups = {
    clickRow: async (clickId) => {
      const row = await first<{ paid_search_param: string | null }>(
        'SELECT paid_search_param FROM clicks WHERE click_id = ?',
        clickId,
      );
      return row ? { paidSearchParam: row.paid_search_param } : undefined;
    },
    couponOwner: async (programId, code) => {
      const row = await first<{ affiliate_id: number }>(
        'SELECT affiliate_id FROM coupons WHERE program_id = ? AND code = ?',
        programId,
        code,
      );
      return row?.affiliate_id ?? null;
    },
    membership: async (programId, affiliateId) => {
      const row = await first<{ status: 'approved' | 'suspended' }>(
        'SELECT status FROM program_affiliates WHERE program_id = ? AND affiliate_id = ?',
        programId,
        affiliateId,
      );
      return row?.status ?? null;
    },
    isCustomer: async (merchantId, affiliateId, ref) => {
      const row = await first(
        'SELECT 1 AS yes FROM affiliate_customer_refs WHERE merchant_id = ? AND customer_ref = ? AND affiliate_id = ?',
        merchantId,
        ref,
        affiliateId,
      );
      return row !== null;
    },
  };

  /**
   * Writes the state derived from the order's current events, unless it is already there.
   * Returns the status, re-reading until no event arrives between the read and the write.
   */
  async function rederive(orderId: number, now: string): Promise<OrderStatus> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const events = await all<EventRow>(
        'SELECT type, occurred_at, content_hash, payload FROM order_events WHERE order_id = ?',
        orderId,
      );
      const state = stateColumns(deriveOrderState(events.map(facts)), now);
      const stored = await first<Record<string, unknown>>(`SELECT ${STATE_COLUMNS.join(', ')} FROM orders WHERE id = ?`, orderId);
      if (stored && STATE_COLUMNS.every((c) => c === 'updated_at' || stored[c] === state[c])) return state.status;
      const result = await d1
        .prepare(UPDATE_STATE)
        .bind(...STATE_COLUMNS.map((c) => state[c]), orderId, orderId, events.length)
        .run();
      if (result.meta.changes > 0) return state.status; // > 0: D1 counts the outbox trigger's row too
    }
    throw new Error(`order ${orderId}: events kept arriving while its state was derived`);
  }

  async function recordOnce(
    d: OrderDeliveryRecord,
    attributeNew: (lookups: AttributionLookups) => NewOrderAttribution,
    now: string,
  ): Promise<OrderIntakeOutcome | undefined> {
    const replay = await first<{ order_id: number }>(
      'SELECT order_id FROM order_events WHERE merchant_id = ? AND delivery_id = ?',
      d.merchantId,
      d.deliveryId,
    );
    if (replay) {
      // Also repairs an order whose state write was lost after its event committed (a crash
      // between the two): the shop retries until it gets a 2xx, and the retry lands here.
      await rederive(replay.order_id, now);
      const row = await first<SummaryRow>(`SELECT ${SUMMARY} FROM orders WHERE id = ?`, replay.order_id);
      return { kind: 'duplicate', order: summary(row!) };
    }
    const event = {
      merchant_id: d.merchantId,
      delivery_id: d.deliveryId,
      channel: d.channel,
      type: d.type,
      occurred_at: d.occurredAt,
      received_at: now,
      content_hash: d.contentHash,
      payload: d.payload ?? JSON.stringify(d.order),
    };
    const thisEvent: OrderEventFacts = { type: d.type, occurredAt: d.occurredAt, contentHash: d.contentHash, order: d.order };
    const order = await first<SummaryRow>(
      `SELECT ${SUMMARY} FROM orders WHERE merchant_id = ? AND external_id = ?`,
      d.merchantId,
      d.order.id,
    );

    if (!order) {
      const a = await attributeWithReads(reads, attributeNew);
      const row = newOrderRow(d, a, deriveOrderState([thisEvent]), now);
      const [inserted, attached] = await d1.batch([
        d1.prepare(INSERT_NEW_ORDER).bind(...ORDER_COLUMNS.map((c) => row[c]), d.merchantId, d.deliveryId),
        d1.prepare(INSERT_FIRST_EVENT).bind(...eventValues.map((c) => event[c]), d.merchantId, d.order.id),
      ]);
      // D1's meta.changes counts what triggers wrote too (an order also queues an outbox row).
      if (inserted!.meta.changes > 0 && attached!.meta.changes > 0) return { kind: 'stored', order: summary(row) };
      if (inserted!.meta.changes > 0) throw new Error(`order ${d.order.id}: stored without its first event`); // cannot happen: same batch
      return undefined; // another copy or event created the order first: read again
    }

    if (order.program_id !== d.programId) {
      return { kind: 'conflict', message: `order ${d.order.id} belongs to another program of this merchant` };
    }
    if (order.currency !== d.order.currency) {
      return { kind: 'conflict', message: `order ${d.order.id} is in ${order.currency}, not ${d.order.currency}` };
    }
    const events = await all<EventRow>(
      'SELECT type, occurred_at, content_hash, payload FROM order_events WHERE order_id = ?',
      order.id,
    );
    if (events.some((e) => e.content_hash === d.contentHash)) return { kind: 'duplicate', order: summary(order) };
    const state = stateColumns(deriveOrderState([...events.map(facts), thisEvent]), now);
    const [added, updated] = await d1.batch([
      d1.prepare(INSERT_EVENT).bind(...EVENT_COLUMNS.map((c) => (c === 'order_id' ? order.id : event[c]))),
      d1.prepare(UPDATE_STATE).bind(...STATE_COLUMNS.map((c) => state[c]), order.id, order.id, events.length + 1),
    ]);
    if (added!.meta.changes === 0) return undefined; // a concurrent copy (same id or content) won: read again
    // Ours is in; if another event slipped in beside it, derive again from the full set.
    const status = updated!.meta.changes > 0 ? state.status : await rederive(order.id, now);
    return { kind: 'stored', order: summary({ ...order, status }) };
  }

  return {
    async record(d, attributeNew) {
      const now = clock.now().toISOString();
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const outcome = await recordOnce(d, attributeNew, now);
        if (outcome) return outcome;
      }
      throw new Error(`order ${d.order.id}: could not settle against concurrent deliveries`);
    },
  };
}
