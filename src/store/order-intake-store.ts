import type { OrderEventType, OrderSnapshot, OrderStatus } from '../domain/order';

/** Facts attribution needs about a new order, read inside the intake's transaction. */
export interface AttributionLookups {
  clickRow(clickId: string): { paidSearchParam: string | null } | undefined;
  couponOwner(programId: number, code: string): number | null;
  membership(programId: number, affiliateId: number): 'approved' | 'suspended' | null;
  isCustomer(merchantId: number, affiliateId: number, customerRef: string): boolean;
}

export interface NewOrderAttribution {
  method: 'click' | 'coupon' | 'none';
  reason: string;
  affiliateId: number | null;
  linkId: number | null;
  clickId: string | null;
  couponCode: string | null;
  held: boolean;
  receipt: unknown;
}

export interface OrderDeliveryRecord {
  merchantId: number;
  programId: number;
  channel: 'webhook' | 'postback';
  deliveryId: string;
  type: OrderEventType;
  occurredAt: string;
  order: OrderSnapshot;
  /** `order` as JSON when the caller already has it: stored as the event's payload as it is. */
  payload?: string;
  contentHash: string;
}

export interface StoredOrderSummary {
  externalId: string;
  programId: number;
  status: OrderStatus;
  affiliateId: number | null;
  method: 'click' | 'coupon' | 'none';
  reason: string;
  held: boolean;
}

export type OrderIntakeOutcome =
  { kind: 'stored' | 'duplicate'; order: StoredOrderSummary } | { kind: 'conflict'; message: string };

/**
 * Stores one order event atomically: a replayed delivery id or repeated content changes nothing
 * (P4, P5), a new order is attributed once via `attributeNew`, and the order's state is
 * re-derived from all its events (P8). SQLite does it in one transaction, D1 in one batch() (store/d1/d1-order-intake.ts).
 */
export interface OrderIntakeStore {
  record(
    delivery: OrderDeliveryRecord,
    attributeNew: (lookups: AttributionLookups) => NewOrderAttribution,
  ): Promise<OrderIntakeOutcome>;
}
