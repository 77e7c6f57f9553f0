import type { Insertable, Kysely, Updateable } from 'kysely';
import { deriveOrderState, type OrderEventFacts, type OrderSnapshot } from '../../domain/order';
import type { Database, OrderEventTable, OrderTable } from '../database';
import type { AttributionLookups, OrderIntakeOutcome, OrderIntakeStore } from '../order-intake-store';
import { EVENT_COLUMNS, newOrderRow, ORDER_COLUMNS, stateColumns, summary } from '../order-rows';
import type { SyncQueries } from './sqlite-sync-queries';

/**
 * An event whose order is its order's snapshot, byte for byte (a new order's first event, nearly
 * always), stores this instead of a second copy of the same JSON: the payload is the snapshot's.
 * Only the first event of an order may, and only while nothing has moved the snapshot on: the
 * intake copies the snapshot into that event before another event changes it. The D1 intake
 * always stores the payload itself.
 */
export const PAYLOAD_IS_SNAPSHOT = '';

function pick<T extends object, K extends keyof T>(row: T, columns: readonly K[]): Pick<T, K> {
  return Object.fromEntries(columns.map((c) => [c, row[c]])) as Pick<T, K>;
}

/**
 * The order intake on SQLite: every step of one delivery in a single synchronous transaction,
 * so the unique constraints and the re-derivation see a consistent order and concurrent copies
 * of a delivery serialise into one conversion.
 */
export function createSqliteOrderIntake(db: Kysely<Database>, q: SyncQueries, clock: { now(): Date }): OrderIntakeStore {
  const clickRow = q.prepared((p: { clickId: string }) =>
    db.selectFrom('clicks').select('paid_search_param').where('click_id', '=', p.clickId),
  );
  const couponOwner = q.prepared((p: { programId: number; code: string }) =>
    db.selectFrom('coupons').select('affiliate_id').where('program_id', '=', p.programId).where('code', '=', p.code),
  );
  const membership = q.prepared((p: { programId: number; affiliateId: number }) =>
    db
      .selectFrom('program_affiliates')
      .select('status')
      .where('program_id', '=', p.programId)
      .where('affiliate_id', '=', p.affiliateId),
  );
  const customerRef = q.prepared((p: { merchantId: number; customerRef: string; affiliateId: number }) =>
    db
      .selectFrom('affiliate_customer_refs')
      .select('affiliate_id')
      .where('merchant_id', '=', p.merchantId)
      .where('customer_ref', '=', p.customerRef)
      .where('affiliate_id', '=', p.affiliateId),
  );
  const deliveryById = q.prepared((p: { merchantId: number; deliveryId: string }) =>
    db
      .selectFrom('order_events')
      .select('order_id')
      .where('merchant_id', '=', p.merchantId)
      .where('delivery_id', '=', p.deliveryId),
  );
  const summaryColumns = [
    'id',
    'external_id',
    'program_id',
    'currency',
    'status',
    'affiliate_id',
    'attribution_method',
    'attribution_reason',
    'held',
  ] as const;
  const orderByExternalId = q.prepared((p: { merchantId: number; externalId: string }) =>
    db
      .selectFrom('orders')
      .select(summaryColumns)
      .where('merchant_id', '=', p.merchantId)
      .where('external_id', '=', p.externalId),
  );
  const orderSummary = q.prepared((p: { id: number }) => db.selectFrom('orders').select(summaryColumns).where('id', '=', p.id));
  const insertOrder = q.prepared((p: Insertable<OrderTable>) => db.insertInto('orders').values(pick(p, ORDER_COLUMNS)));
  const insertEvent = q.prepared((p: Insertable<OrderEventTable>) =>
    db
      .insertInto('order_events')
      .values(pick(p, EVENT_COLUMNS))
      .onConflict((oc) => oc.doNothing()),
  );
  // Before a second event moves the snapshot on, the first event gets its own copy of it.
  const copySnapshotIntoEvent = q.prepared((p: { orderId: number }) =>
    db
      .updateTable('order_events')
      .set((eb) => ({ payload: eb.selectFrom('orders').select('snapshot').where('id', '=', p.orderId) }))
      .where('order_id', '=', p.orderId)
      .where('payload', '=', PAYLOAD_IS_SNAPSHOT),
  );
  const eventsOfOrder = q.prepared((p: { orderId: number }) =>
    db.selectFrom('order_events').select(['type', 'occurred_at', 'content_hash', 'payload']).where('order_id', '=', p.orderId),
  );
  const updateState = q.prepared((p: Updateable<OrderTable> & { id: number }) =>
    db
      .updateTable('orders')
      .set({
        status: p.status,
        paid_at: p.paid_at,
        completed_at: p.completed_at,
        refunded_at: p.refunded_at,
        cancelled_at: p.cancelled_at,
        snapshot: p.snapshot,
        snapshot_at: p.snapshot_at,
        revenue_minor: p.revenue_minor,
        refunded_minor: p.refunded_minor,
        updated_at: p.updated_at,
      })
      .where('id', '=', p.id),
  );

  const lookups: AttributionLookups = {
    clickRow(clickId) {
      const row = clickRow.first({ clickId });
      return row ? { paidSearchParam: row.paid_search_param } : undefined;
    },
    couponOwner: (programId, code) => couponOwner.first({ programId, code })?.affiliate_id ?? null,
    membership: (programId, affiliateId) => membership.first({ programId, affiliateId })?.status ?? null,
    isCustomer: (merchantId, affiliateId, ref) => customerRef.first({ merchantId, customerRef: ref, affiliateId }) !== undefined,
  };


  return {
    record(d, attributeNew) {
      const now = clock.now().toISOString();
      // A new order's delivery id is looked up only when its event's INSERT finds it taken, which
      // a delivery id reused for another order does: the unique index checks it anyway, and the
      // lookup was a twentieth of a new order's CPU. That unit then throws, so that the group rolls
      // back (the order row with it) and runs it again, alone, looking the delivery id up first.
      let replayOfAnotherOrder = false;
      return q.transaction((): OrderIntakeOutcome => {
        const order = orderByExternalId.first({ merchantId: d.merchantId, externalId: d.order.id });
        if (order || replayOfAnotherOrder) {
          const replay = deliveryById.first({ merchantId: d.merchantId, deliveryId: d.deliveryId });
          if (replay) return { kind: 'duplicate', order: summary(orderSummary.first({ id: replay.order_id })!) };
        }

        const thisEvent: OrderEventFacts = { type: d.type, occurredAt: d.occurredAt, contentHash: d.contentHash, order: d.order };
        const event = {
          merchant_id: d.merchantId,
          delivery_id: d.deliveryId,
          channel: d.channel,
          type: d.type,
          occurred_at: d.occurredAt,
          received_at: now,
          content_hash: d.contentHash,
        };
        const payload = d.payload ?? JSON.stringify(d.order);
        if (!order) {
          // A new order: attributed now, once, and stored with the state its first event gives.
          const a = attributeNew(lookups);
          const state = deriveOrderState([thisEvent]);
          // The snapshot is the event's own order unless merging refunds changed a line.
          const sameAsSnapshot = state.snapshot === d.order;
          const row = newOrderRow(d, a, state, now, sameAsSnapshot ? payload : undefined);
          const id = insertOrder.run(row).lastInsertRowid;
          if (
            insertEvent.run({ ...event, payload: sameAsSnapshot ? PAYLOAD_IS_SNAPSHOT : payload, order_id: id }).changes === 0
          ) {
            // Only the delivery id can be taken: the order, hence its (order, content hash), is new.
            replayOfAnotherOrder = true;
            throw new Error(`delivery ${d.deliveryId} is stored for another order: looking it up`);
          }
          return { kind: 'stored', order: summary(row) };
        }
        if (order.program_id !== d.programId) {
          return { kind: 'conflict', message: `order ${d.order.id} belongs to another program of this merchant` };
        }
        if (order.currency !== d.order.currency) {
          return { kind: 'conflict', message: `order ${d.order.id} is in ${order.currency}, not ${d.order.currency}` };
        }
        if (insertEvent.run({ ...event, payload, order_id: order.id }).changes === 0) {
          return { kind: 'duplicate', order: summary(order) };
        }
        copySnapshotIntoEvent.run({ orderId: order.id });

        const events = eventsOfOrder.all({ orderId: order.id });
        const state = deriveOrderState(
          events.map((e): OrderEventFacts => ({
            type: e.type,
            occurredAt: e.occurred_at,
            contentHash: e.content_hash,
            order: JSON.parse(e.payload) as OrderSnapshot,
          })),
        );
        updateState.run({ id: order.id, ...stateColumns(state, now) });
        return { kind: 'stored', order: summary({ ...order, status: state.status }) };
      });
    },
  };
}
