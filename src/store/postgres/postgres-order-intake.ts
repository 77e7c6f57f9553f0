import type { Pool, PoolClient } from 'pg';
import { deriveOrderState, type OrderEventFacts, type OrderSnapshot } from '../../domain/order';
import { type AsyncAttributionLookups, attributeWithReads } from '../attribute-with-reads';
import type { OrderIntakeOutcome, OrderIntakeStore } from '../order-intake-store';
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
import { inTransaction } from './postgres-atomic-writes';

const numbered = (count: number, from = 1) => Array.from({ length: count }, (_, i) => `$${i + from}`).join(', ');
const INSERT_ORDER = `INSERT INTO orders (${ORDER_COLUMNS.join(', ')}) VALUES (${numbered(ORDER_COLUMNS.length)}) RETURNING id`;
const INSERT_EVENT = `INSERT INTO order_events (${EVENT_COLUMNS.join(', ')}) VALUES (${numbered(EVENT_COLUMNS.length)})
  ON CONFLICT DO NOTHING`;
const UPDATE_STATE = `UPDATE orders SET ${STATE_COLUMNS.map((c, i) => `${c} = $${i + 1}`).join(', ')}
  WHERE id = $${STATE_COLUMNS.length + 1}`;

/** A delivery whose id another order took while this one was being stored: run it again from the top. */
class DeliveryTaken extends Error {}
const MAX_ROUNDS = 4;

function reads(client: PoolClient): AsyncAttributionLookups {
  const first = async <T>(text: string, values: unknown[]) => (await client.query(text, values)).rows[0] as T | undefined;
  return {
    clickRow: async (clickId) => {
      const row = await first<{ paid_search_param: string | null }>('SELECT paid_search_param FROM clicks WHERE click_id = $1', [
        clickId,
      ]);
      return row ? { paidSearchParam: row.paid_search_param } : undefined;
    },
    couponOwner: async (programId, code) =>
      (
        await first<{ affiliate_id: number }>('SELECT affiliate_id FROM coupons WHERE program_id = $1 AND code = $2', [
          programId,
          code,
        ])
      )?.affiliate_id ?? null,
    membership: async (programId, affiliateId) =>
      (
        await first<{ status: 'approved' | 'suspended' }>(
          'SELECT status FROM program_affiliates WHERE program_id = $1 AND affiliate_id = $2',
          [programId, affiliateId],
        )
      )?.status ?? null,
    isCustomer: async (merchantId, affiliateId, ref) =>
      (await first(
        'SELECT 1 AS yes FROM affiliate_customer_refs WHERE merchant_id = $1 AND customer_ref = $2 AND affiliate_id = $3',
        [merchantId, ref, affiliateId],
      )) !== undefined,
  };
}

/**
 * The order intake on PostgreSQL: one transaction per delivery, holding a transaction-scoped
 * advisory lock on the order's key (merchant, shop order id) from its first read. Deliveries of
 * one order therefore run one after another across every instance, and each sees the events
 * the previous committed: the same serial story as SQLite's single writer, with deliveries of
 * different orders committing side by side. The unique constraints stay the last word (P4, P5).
 */
export function createPostgresOrderIntake(pool: Pool, clock: { now(): Date }): OrderIntakeStore {
  return {
    async record(d, attributeNew) {
      const now = clock.now().toISOString();
      for (let round = 0; ; round++) {
        try {
          return await inTransaction(pool, async (client): Promise<OrderIntakeOutcome> => {
            const first = async <T>(text: string, values: unknown[]) =>
              (await client.query(text, values)).rows[0] as T | undefined;
            await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`order:${d.merchantId}:${d.order.id}`]);
            const replay = await first<{ order_id: number }>(
              'SELECT order_id FROM order_events WHERE merchant_id = $1 AND delivery_id = $2',
              [d.merchantId, d.deliveryId],
            );
            if (replay) {
              const row = await first<SummaryRow>(`SELECT ${SUMMARY} FROM orders WHERE id = $1`, [replay.order_id]);
              return { kind: 'duplicate', order: summary(row!) };
            }
            const order = await first<SummaryRow>(`SELECT ${SUMMARY} FROM orders WHERE merchant_id = $1 AND external_id = $2`, [
              d.merchantId,
              d.order.id,
            ]);
            const event: Record<string, unknown> = {
              merchant_id: d.merchantId,
              delivery_id: d.deliveryId,
              channel: d.channel,
              type: d.type,
              occurred_at: d.occurredAt,
              received_at: now,
              content_hash: d.contentHash,
              payload: d.payload ?? JSON.stringify(d.order),
            };
            const thisEvent: OrderEventFacts = {
              type: d.type,
              occurredAt: d.occurredAt,
              contentHash: d.contentHash,
              order: d.order,
            };

            if (!order) {
              const a = await attributeWithReads(reads(client), attributeNew);
              const row: Record<string, unknown> = newOrderRow(d, a, deriveOrderState([thisEvent]), now);
              const inserted = await client.query<{ id: number }>(
                INSERT_ORDER,
                ORDER_COLUMNS.map((c) => row[c]),
              );
              const id = inserted.rows[0]!.id;
              const added = await client.query(
                INSERT_EVENT,
                EVENT_COLUMNS.map((c) => (c === 'order_id' ? id : event[c])),
              );
              // Only the delivery id can be taken (the order is new), by another order meanwhile.
              if (added.rowCount === 0) throw new DeliveryTaken();
              return { kind: 'stored', order: summary(row as unknown as SummaryRow) };
            }
            if (order.program_id !== d.programId) {
              return { kind: 'conflict', message: `order ${d.order.id} belongs to another program of this merchant` };
            }
            if (order.currency !== d.order.currency) {
              return { kind: 'conflict', message: `order ${d.order.id} is in ${order.currency}, not ${d.order.currency}` };
            }
            const added = await client.query(
              INSERT_EVENT,
              EVENT_COLUMNS.map((c) => (c === 'order_id' ? order.id : event[c])),
            );
            if (added.rowCount === 0) return { kind: 'duplicate', order: summary(order) };
            const events = (
              await client.query<EventRow>(
                'SELECT type, occurred_at, content_hash, payload FROM order_events WHERE order_id = $1',
                [order.id],
              )
            ).rows;
            const state = stateColumns(
              deriveOrderState(
                events.map((e) => ({
                  type: e.type,
                  occurredAt: e.occurred_at,
                  contentHash: e.content_hash,
                  order: JSON.parse(e.payload) as OrderSnapshot,
                })),
              ),
              now,
            );
            await client.query(UPDATE_STATE, [...STATE_COLUMNS.map((c) => state[c]), order.id]);
            return { kind: 'stored', order: summary({ ...order, status: state.status }) };
          });
        } catch (error) {
          if (!(error instanceof DeliveryTaken) || round >= MAX_ROUNDS) throw error;
        }
      }
    },
  };
}
