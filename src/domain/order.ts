import type { SubIds } from './sub-id';
import { scaleRounded } from './rounding';

/**
 * An order as the shop reports it, and the state that follows from all its events. The state is
 * a pure function of the *set* of events, so deliveries arriving in any order converge (P8).
 */
export const ORDER_EVENT_TYPES = ['order.created', 'order.paid', 'order.completed', 'order.refunded', 'order.cancelled'] as const;
export type OrderEventType = (typeof ORDER_EVENT_TYPES)[number];
export const ORDER_STATUSES = ['created', 'paid', 'completed', 'refunded', 'cancelled'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export interface OrderLine {
  sku: string;
  category?: string | undefined;
  quantity: number;
  unitPriceMinor: number;
  discountMinor: number;
  refundedQuantity: number;
  /**
   * Money refunded from this line without units (a shop that reports only a refund total, spread
   * over the lines in proportion): taken off the base of the units kept. Absent means 0.
   */
  refundedAmountMinor?: number | undefined;
  /** Set when the program's catalogue was consulted for a line the shop sent without a category. */
  catalog?: 'matched' | 'unknown_sku' | undefined;
}

export interface OrderSnapshot {
  id: string;
  clickId?: string | undefined;
  coupon?: string | undefined;
  customerId?: string | undefined;
  /** The physical store of an offline (O2O) sale, as the merchant names it. */
  storeId?: string | undefined;
  /** Sub-ids the sale reports itself (the postback's), for a sale with no click to take them from. */
  subIds?: SubIds | undefined;
  newCustomer?: boolean | undefined;
  currency: string;
  shippingMinor: number;
  taxMinor: number;
  nonCashMinor: number;
  placedAt?: string | undefined;
  lines: OrderLine[];
}

/** One order event as the intake stores it: amounts in minor units, times in UTC. */
export interface NormalizedOrderEvent {
  type: OrderEventType;
  occurredAt: string;
  order: OrderSnapshot;
}

/**
 * `JSON.stringify(event)` (what the content hash is taken over) and the order's own JSON (the
 * stored payload) from one serialisation of the order: the event's text is the order's inside
 * the envelope JSON.stringify writes for `{ type, occurredAt, order }`, byte for byte.
 */
export function serializeEvent(event: NormalizedOrderEvent): { eventJson: string; orderJson: string } {
  const orderJson = JSON.stringify(event.order);
  return {
    orderJson,
    eventJson: `{"type":${JSON.stringify(event.type)},"occurredAt":${JSON.stringify(event.occurredAt)},"order":${orderJson}}`,
  };
}

export interface OrderEventFacts {
  type: OrderEventType;
  occurredAt: string;
  contentHash: string;
  order: OrderSnapshot;
}

export interface OrderState {
  status: OrderStatus;
  paidAt: string | null;
  completedAt: string | null;
  refundedAt: string | null;
  cancelledAt: string | null;
  /** The order as of the latest event, with refunded quantities merged from every event. */
  snapshot: OrderSnapshot;
  snapshotAt: string;
  revenueMinor: number;
  refundedMinor: number;
}

/** Commission base of a line before refunds: quantity × unit price − discount. */
export function lineBase(line: OrderLine): number {
  return line.quantity * line.unitPriceMinor - line.discountMinor;
}

/**
 * The base still earning after refunds: scaled to the quantity not refunded, half away from
 * zero, less any amount refunded without units (never below zero).
 */
export function lineBaseAfterRefunds(line: OrderLine): number {
  const kept = scaleRounded(lineBase(line), line.quantity - line.refundedQuantity, line.quantity);
  return Math.max(0, kept - (line.refundedAmountMinor ?? 0));
}

const typeRank: Record<OrderEventType, number> = {
  'order.created': 0,
  'order.paid': 1,
  'order.completed': 2,
  'order.refunded': 3,
  'order.cancelled': 4,
};

/** Latest event wins; ties broken by type, then content, so the choice never depends on arrival. */
function later(a: OrderEventFacts, b: OrderEventFacts): boolean {
  if (a.occurredAt !== b.occurredAt) return a.occurredAt > b.occurredAt;
  if (typeRank[a.type] !== typeRank[b.type]) return typeRank[a.type] > typeRank[b.type];
  return a.contentHash > b.contentHash;
}

function earliest(events: readonly OrderEventFacts[], type: OrderEventType): string | null {
  let at: string | null = null;
  for (const e of events) if (e.type === type && (at === null || e.occurredAt < at)) at = e.occurredAt;
  return at;
}

const lineKey = (line: OrderLine, index: number) => `${index}\u0000${line.sku}`;

/**
 * An `order.refunded` event that names no refunded quantity refunds the whole order: the shop
 * said "refunded" and nothing narrower.
 */
function refundedQuantities(event: OrderEventFacts): number[] {
  const lines = event.order.lines;
  if (event.type === 'order.refunded' && lines.every((l) => l.refundedQuantity === 0)) return lines.map((l) => l.quantity);
  return lines.map((l) => l.refundedQuantity);
}

export function deriveOrderState(events: readonly OrderEventFacts[]): OrderState {
  if (events.length === 0) throw new Error('an order needs at least one event');
  let latest = events[0]!;
  for (const e of events) if (later(e, latest)) latest = e;

  // Refunds only grow: a line's refunded quantity is the largest any event reported for it. An
  // amount refunded without units is the latest snapshot's: a shop that later tells which units
  // a refund took back replaces its proportional estimate, never adds to it.
  const refunded = new Map<string, number>();
  for (const e of events) {
    const quantities = refundedQuantities(e);
    e.order.lines.forEach((line, i) => {
      const key = lineKey(line, i);
      refunded.set(key, Math.max(refunded.get(key) ?? 0, quantities[i]!));
    });
  }
  let merged = false;
  const lines = latest.order.lines.map((line, i) => {
    const refundedQuantity = Math.min(line.quantity, refunded.get(lineKey(line, i)) ?? 0);
    if (refundedQuantity === line.refundedQuantity) return line;
    merged = true;
    return { ...line, refundedQuantity };
  });
  // The latest event's own order when merging changed nothing (every new order's first event):
  // the store can then keep the JSON it already has instead of serialising an equal copy.
  const snapshot: OrderSnapshot = merged ? { ...latest.order, lines } : latest.order;

  const revenueMinor = lines.reduce((sum, l) => sum + lineBase(l), 0);
  const refundedMinor = lines.reduce((sum, l) => sum + lineBase(l) - lineBaseAfterRefunds(l), 0);
  const fullyRefunded = lines.every((l) => l.refundedQuantity === l.quantity);

  const paidAt = earliest(events, 'order.paid');
  const completedAt = earliest(events, 'order.completed');
  const refundedAt = earliest(events, 'order.refunded') ?? (refundedMinor > 0 ? latest.occurredAt : null);
  const cancelledAt = earliest(events, 'order.cancelled');
  const status: OrderStatus = cancelledAt
    ? 'cancelled'
    : fullyRefunded
      ? 'refunded'
      : completedAt
        ? 'completed'
        : paidAt
          ? 'paid'
          : 'created';
  return {
    status,
    paidAt: paidAt ?? completedAt,
    completedAt,
    refundedAt,
    cancelledAt,
    snapshot,
    snapshotAt: latest.occurredAt,
    revenueMinor,
    refundedMinor,
  };
}
