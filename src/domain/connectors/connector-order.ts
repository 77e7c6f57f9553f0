import type { OrderEventType, OrderLine, OrderSnapshot } from '../order';
import { allocateProportionally } from '../allocation';
import { scaleRounded } from '../rounding';

/**
 * A shop order as a connector read it, before it becomes the canonical order event. Platform
 * mappers (shopify.ts, woocommerce.ts) produce it; `toCanonicalEvent` turns it, together with
 * refunds and deletions reported separately, into the one event the canonical intake stores.
 * Pure: the same document and refunds always give the same event (and so the same content hash).
 */
export const CONNECTOR_PLATFORMS = ['shopify', 'woocommerce'] as const;
export type ConnectorPlatform = (typeof CONNECTOR_PLATFORMS)[number];

export type ConnectorStatus = 'created' | 'paid' | 'completed' | 'refunded' | 'cancelled';

export interface ConnectorLine {
  /** The platform's line item id: refunds name lines by it. */
  lineId: string;
  sku: string;
  quantity: number;
  unitPriceMinor: number;
  discountMinor: number;
}

export interface ConnectorRefund {
  id: string;
  createdAt: string;
  /** Where it came from: the order document, a refund webhook, or the shop's REST API. */
  source: 'document' | 'webhook' | 'rest';
  /** Units refunded per line; empty when the shop reported only an amount. */
  lines: { lineId: string; quantity: number }[];
  /** For a refund without lines: the refunded amount net of tax, to reduce the base in proportion. */
  amountNetMinor?: number | undefined;
}

export type RefundMethod = 'none' | 'line_items' | 'proportional' | 'rest_line_detail';

export interface ConnectorOrder {
  id: string;
  currency: string;
  placedAt: string;
  /** The shop's own modification time of this document: the latest document wins. */
  updatedAt: string;
  status: ConnectorStatus;
  /**
   * When the order reached `status`, as the shop's document says (fulfilment, cancellation,
   * payment time): a fact of the document, so the canonical milestone times (completion starts
   * the lock period) do not depend on which delivery arrived first.
   */
  statusAt: string;
  clickId?: string | undefined;
  /** Where the click id was found (landing_site, note_attributes, meta_data, …). */
  clickIdSource?: string | undefined;
  coupon?: string | undefined;
  customerId?: string | undefined;
  newCustomer?: boolean | undefined;
  shippingMinor: number;
  taxMinor: number;
  nonCashMinor: number;
  lines: ConnectorLine[];
  /** Refunds the order document itself carries. */
  refunds: ConnectorRefund[];
  /** How refunds without line detail are handled: the platform's REST detail, when fetched, replaces this. */
  refundMethodWithoutLines: 'proportional' | 'ignored';
  /** What the mapping did that a merchant should be able to read (lines left out and why). */
  notes: string[];
}

export interface ConnectorReceipt {
  platform: ConnectorPlatform;
  clickIdSource: string | null;
  refundMethod: RefundMethod;
  refunds: string[];
  notes: string[];
}

export interface CanonicalEvent {
  type: OrderEventType;
  occurredAt: string;
  order: OrderSnapshot;
}

function unionRefunds(own: readonly ConnectorRefund[], reported: readonly ConnectorRefund[]): ConnectorRefund[] {
  const byId = new Map<string, ConnectorRefund>();
  // A refund reported with line detail (the REST fetch, Shopify's refunds/create) is better than
  // the same refund as a bare total in the order document.
  for (const r of [...own, ...reported]) {
    const known = byId.get(r.id);
    if (!known || (known.lines.length === 0 && r.lines.length > 0)) byId.set(r.id, r);
  }
  return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * The canonical order events for everything known about one shop order: a milestone event of the
 * order's status at the time the shop says it was reached, and, when something newer is known
 * (a later refund, a deletion, a later document), an `order.created` event at that later time
 * carrying the same snapshot. `order.created` sets no milestone, so the snapshot made from the
 * most complete knowledge is the latest one without moving any status time (P8).
 */
export function toCanonicalEvent(
  platform: ConnectorPlatform,
  order: ConnectorOrder,
  reportedRefunds: readonly ConnectorRefund[],
  deletedAt: string | null,
): { events: CanonicalEvent[]; receipt: ConnectorReceipt } {
  const refunds = unionRefunds(order.refunds, reportedRefunds);
  const refundedUnits = new Map<string, number>();
  for (const r of refunds) for (const l of r.lines) refundedUnits.set(l.lineId, (refundedUnits.get(l.lineId) ?? 0) + l.quantity);

  const shopSaysRefunded = order.status === 'refunded';
  const lines: OrderLine[] = order.lines.map((l) => ({
    sku: l.sku,
    quantity: l.quantity,
    unitPriceMinor: l.unitPriceMinor,
    discountMinor: l.discountMinor,
    refundedQuantity: shopSaysRefunded ? l.quantity : Math.min(l.quantity, refundedUnits.get(l.lineId) ?? 0),
  }));

  // Refunds that name no line: reduce what is left of each line's base in proportion to the
  // refunded amount (already net of tax), unless the shop says the whole order is refunded.
  const amountOnly = refunds.filter((r) => r.lines.length === 0 && (r.amountNetMinor ?? 0) > 0);
  const proportional = amountOnly.length > 0 && !shopSaysRefunded && order.refundMethodWithoutLines === 'proportional';
  if (proportional) {
    const refunded = amountOnly.reduce((sum, r) => sum + r.amountNetMinor!, 0);
    const kept = lines.map((l) =>
      Math.max(0, scaleRounded(l.quantity * l.unitPriceMinor - l.discountMinor, l.quantity - l.refundedQuantity, l.quantity)),
    );
    const shares = allocateProportionally(
      Math.min(
        refunded,
        kept.reduce((a, b) => a + b, 0),
      ),
      kept,
    );
    lines.forEach((l, i) => {
      if (shares[i]! > 0) l.refundedAmountMinor = shares[i]!;
    });
  }
  const withLines = refunds.filter((r) => r.lines.length > 0);
  const refundMethod: RefundMethod = proportional
    ? 'proportional'
    : withLines.some((r) => r.source === 'rest')
      ? 'rest_line_detail'
      : withLines.length > 0
        ? 'line_items'
        : 'none';

  const lastRefundAt = refunds.reduce<string | null>((at, r) => (at === null || r.createdAt > at ? r.createdAt : at), null);
  const fullyRefunded = lines.every((l) => l.refundedQuantity === l.quantity);
  const milestone: { type: OrderEventType; at: string } =
    deletedAt !== null && order.status !== 'cancelled'
      ? { type: 'order.cancelled', at: deletedAt }
      : order.status === 'cancelled'
        ? { type: 'order.cancelled', at: order.statusAt }
        : shopSaysRefunded
          ? { type: 'order.refunded', at: order.statusAt }
          : fullyRefunded
            ? { type: 'order.refunded', at: lastRefundAt ?? order.statusAt }
            : { type: `order.${order.status}`, at: order.statusAt };

  let latestAt = order.updatedAt;
  for (const t of [...refunds.map((r) => r.createdAt), deletedAt, milestone.at]) if (t !== null && t > latestAt) latestAt = t;

  const snapshot: OrderSnapshot = {
    id: order.id,
    currency: order.currency,
    shippingMinor: order.shippingMinor,
    taxMinor: order.taxMinor,
    nonCashMinor: order.nonCashMinor,
    placedAt: order.placedAt,
    lines,
  };
  if (order.clickId) snapshot.clickId = order.clickId;
  if (order.coupon) snapshot.coupon = order.coupon;
  if (order.customerId) snapshot.customerId = order.customerId;
  if (order.newCustomer !== undefined) snapshot.newCustomer = order.newCustomer;

  const notes = [...order.notes];
  if (deletedAt !== null) notes.push(`deleted in the shop at ${deletedAt}: treated as cancelled`);
  const lineless = refunds.filter((r) => r.lines.length === 0);
  if (lineless.length > 0 && order.refundMethodWithoutLines === 'ignored' && !shopSaysRefunded) {
    notes.push(
      `refunds ${lineless.map((r) => r.id).join(', ')} name no lines (shipping or an amount only): no change to the commission`,
    );
  }
  return {
    events: [
      { type: milestone.type, occurredAt: milestone.at, order: snapshot },
      ...(latestAt > milestone.at ? [{ type: 'order.created' as const, occurredAt: latestAt, order: snapshot }] : []),
    ],
    receipt: { platform, clickIdSource: order.clickIdSource ?? null, refundMethod, refunds: refunds.map((r) => r.id), notes },
  };
}
