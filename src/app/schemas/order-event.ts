import { z } from '@hono/zod-openapi';
import { moneyParseMessages, parseMoney } from '../../domain/money';
import { ORDER_EVENT_TYPES, type OrderEventType, type OrderSnapshot } from '../../domain/order';
import { AppError } from '../errors';
import { CurrencySchema } from './common';

const Amount = z.string().openapi({ example: '49.90', description: "decimal string in the order's currency" });
const Text = (max: number) => z.string().trim().min(1).max(max);

const OrderItem = z
  .object({
    sku: Text(100),
    category: Text(100).optional(),
    quantity: z.number().int().min(1).max(1_000_000),
    unitPrice: Amount,
    discount: Amount.default('0').openapi({ description: 'discount on the whole line' }),
    refundedQuantity: z.number().int().min(0).max(1_000_000).default(0),
  })
  .openapi('OrderItem');

export const OrderBody = z
  .object({
    id: Text(128).openapi({ example: 'A-1001', description: "the shop's order id" }),
    clickId: z.string().max(200).nullish(),
    coupon: z.string().trim().max(64).nullish(),
    customerId: z.string().trim().max(128).nullish(),
    newCustomer: z.boolean().nullish(),
    currency: CurrencySchema,
    shipping: Amount.default('0'),
    tax: Amount.default('0'),
    nonCashAmount: Amount.default('0').openapi({ description: 'paid with points, store credit or gift cards' }),
    placedAt: z.iso
      .datetime({ offset: true })
      .optional()
      .openapi({ description: 'when the order was placed; defaults to the first event seen' }),
    items: z.array(OrderItem).min(1).max(1000),
  })
  .openapi('Order');

export const OrderEventBody = z
  .object({
    type: z.enum(ORDER_EVENT_TYPES),
    programId: z.string().max(40).openapi({ example: 'prg_1' }),
    order: OrderBody,
    occurredAt: z.iso.datetime({ offset: true }).openapi({ example: '2026-11-25T10:00:00Z' }),
  })
  .openapi('OrderEvent');

export type OrderEventInput = z.infer<typeof OrderEventBody>;

function money(value: string, currency: string, path: string): number {
  const parsed = parseMoney(value, currency);
  if (!parsed.ok) throw new AppError('validation_failed', `${path} ${moneyParseMessages[parsed.error]} (${currency})`);
  return parsed.value.minor;
}

// What toISOString writes. A validated datetime already in this form (what most shops send) is
// kept as it is: the schema admits real dates and times only, so parsing it and formatting it
// back would give the same text, at more cost than the rest of the normalisation.
const CANONICAL_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** A datetime the schema validated, as UTC in toISOString's form. */
export function toUtcIso(validated: string): string {
  return CANONICAL_UTC.test(validated) ? validated : new Date(validated).toISOString();
}

/** The validated body as the domain's order: amounts in minor units, times in UTC. */
export function toOrderSnapshot(order: z.infer<typeof OrderBody>): OrderSnapshot {
  const c = order.currency;
  const lines = order.items.map((item, i) => {
    const path = `order.items[${i}]`;
    const unitPriceMinor = money(item.unitPrice, c, `${path}.unitPrice`);
    const discountMinor = money(item.discount, c, `${path}.discount`);
    if (discountMinor > item.quantity * unitPriceMinor) {
      throw new AppError('validation_failed', `${path}.discount is larger than quantity × unitPrice`);
    }
    if (item.refundedQuantity > item.quantity) {
      throw new AppError('validation_failed', `${path}.refundedQuantity is larger than quantity`);
    }
    if (!Number.isSafeInteger(item.quantity * unitPriceMinor)) throw new AppError('validation_failed', `${path} is too large`);
    return {
      sku: item.sku,
      ...(item.category !== undefined ? { category: item.category } : {}),
      quantity: item.quantity,
      unitPriceMinor,
      discountMinor,
      refundedQuantity: item.refundedQuantity,
    };
  });
  const nonCashMinor = money(order.nonCashAmount, c, 'order.nonCashAmount');
  const goods = lines.reduce((sum, l) => sum + l.quantity * l.unitPriceMinor - l.discountMinor, 0);
  if (nonCashMinor > goods) throw new AppError('validation_failed', 'order.nonCashAmount is larger than the items');
  const snapshot: OrderSnapshot = {
    id: order.id,
    currency: c,
    shippingMinor: money(order.shipping, c, 'order.shipping'),
    taxMinor: money(order.tax, c, 'order.tax'),
    nonCashMinor,
    lines,
  };
  if (order.clickId) snapshot.clickId = order.clickId;
  if (order.coupon) snapshot.coupon = order.coupon;
  if (order.customerId) snapshot.customerId = order.customerId;
  if (order.newCustomer !== undefined && order.newCustomer !== null) snapshot.newCustomer = order.newCustomer;
  if (order.placedAt) snapshot.placedAt = toUtcIso(order.placedAt);
  return snapshot;
}

export interface NormalizedOrderEvent {
  type: OrderEventType;
  occurredAt: string;
  order: OrderSnapshot;
}

export function toNormalizedEvent(input: OrderEventInput): NormalizedOrderEvent {
  return { type: input.type, occurredAt: toUtcIso(input.occurredAt), order: toOrderSnapshot(input.order) };
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
