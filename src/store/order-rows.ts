import type { Insertable } from 'kysely';
import type { OrderEventFacts, OrderState, OrderStatus } from '../domain/order';
import type { OrderEventTable, OrderTable } from './database';
import type { NewOrderAttribution, OrderDeliveryRecord, StoredOrderSummary } from './order-intake-store';

// The rows an order delivery writes, built alike by the SQLite and the D1 intake.

/**
 * A new order's row: attributed once, with the state its first event gives. SQLite and D1 alike.
 * `snapshotJson` is `state.snapshot` as JSON when the caller already has it.
 */
export function newOrderRow(
  d: OrderDeliveryRecord,
  a: NewOrderAttribution,
  state: OrderState,
  now: string,
  snapshotJson?: string,
) {
  return {
    merchant_id: d.merchantId,
    program_id: d.programId,
    external_id: d.order.id,
    currency: d.order.currency,
    placed_at: d.order.placedAt ?? d.occurredAt,
    attribution_method: a.method,
    attribution_reason: a.reason,
    affiliate_id: a.affiliateId,
    link_id: a.linkId,
    click_id: a.clickId,
    coupon_code: a.couponCode,
    held: a.held ? 1 : 0,
    receipt: JSON.stringify(a.receipt),
    ...stateColumns(state, now, snapshotJson),
    customer_id: d.order.customerId ?? null,
    store_id: d.order.storeId ?? null,
    sub1: d.order.subIds?.sub1 ?? null,
    sub2: d.order.subIds?.sub2 ?? null,
    sub3: d.order.subIds?.sub3 ?? null,
    sub4: d.order.subIds?.sub4 ?? null,
    sub5: d.order.subIds?.sub5 ?? null,
    new_customer: d.order.newCustomer === undefined ? null : d.order.newCustomer ? 1 : 0,
    created_at: now,
  };
}

/** The order's columns that follow from its events; `snapshotJson` is `state.snapshot` as JSON when known. */
export function stateColumns(state: OrderState, now: string, snapshotJson = JSON.stringify(state.snapshot)) {
  return {
    status: state.status,
    paid_at: state.paidAt,
    completed_at: state.completedAt,
    refunded_at: state.refundedAt,
    cancelled_at: state.cancelledAt,
    snapshot: snapshotJson,
    snapshot_at: state.snapshotAt,
    revenue_minor: state.revenueMinor,
    refunded_minor: state.refundedMinor,
    updated_at: now,
  };
}

/** The columns `stateColumns` sets, in its order: what an event changes on its order (the D1 intake's UPDATE). */
export const STATE_COLUMNS = [
  'status',
  'paid_at',
  'completed_at',
  'refunded_at',
  'cancelled_at',
  'snapshot',
  'snapshot_at',
  'revenue_minor',
  'refunded_minor',
  'updated_at',
] as const satisfies readonly (keyof ReturnType<typeof stateColumns>)[];

// Prepared inserts list their columns: the placeholder object has no keys to enumerate. The D1
// intake writes the same columns.
export const ORDER_COLUMNS = [
  'merchant_id',
  'program_id',
  'external_id',
  'currency',
  'placed_at',
  'attribution_method',
  'attribution_reason',
  'affiliate_id',
  'link_id',
  'click_id',
  'coupon_code',
  'held',
  'receipt',
  'customer_id',
  'store_id',
  'sub1',
  'sub2',
  'sub3',
  'sub4',
  'sub5',
  'new_customer',
  'created_at',
  ...STATE_COLUMNS,
] as const satisfies readonly (keyof Insertable<OrderTable>)[];
export const EVENT_COLUMNS = [
  'order_id',
  'merchant_id',
  'delivery_id',
  'channel',
  'type',
  'occurred_at',
  'received_at',
  'content_hash',
  'payload',
] as const satisfies readonly (keyof Insertable<OrderEventTable>)[];

/** The order's columns an intake answer reads back (SQL text shared by the D1 and PostgreSQL stores). */
export const SUMMARY_COLUMNS = 'id, external_id, program_id, currency, status, affiliate_id, attribution_method, attribution_reason, held';

export interface SummaryRow {
  id: number;
  external_id: string;
  program_id: number;
  currency: string;
  status: OrderStatus;
  affiliate_id: number | null;
  attribution_method: 'click' | 'coupon' | 'none';
  attribution_reason: string;
  held: number;
}
export interface EventRow {
  type: OrderEventFacts['type'];
  occurred_at: string;
  content_hash: string;
  payload: string;
}

export function summary(row: Omit<SummaryRow, 'id' | 'currency'>): StoredOrderSummary {
  return {
    externalId: row.external_id,
    programId: row.program_id,
    status: row.status,
    affiliateId: row.affiliate_id,
    method: row.attribution_method,
    reason: row.attribution_reason,
    held: row.held === 1,
  };
}
