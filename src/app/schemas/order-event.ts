import { z } from '@hono/zod-openapi';
import { isCurrency } from '../../domain/currency';
import { moneyParseMessages, parseMoney } from '../../domain/money';
import {
  type NormalizedOrderEvent,
  ORDER_EVENT_TYPES,
  ORDER_STATUSES,
  type OrderEventType,
  type OrderSnapshot,
} from '../../domain/order';
import { AppError } from '../../core/errors';
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

// One instance for every datetime field, so the fast path below tests the very pattern zod does.
const DateTime = z.iso.datetime({ offset: true });

export const OrderBody = z
  .object({
    id: Text(128).openapi({ example: 'A-1001', description: "the shop's order id" }),
    clickId: z.string().max(200).nullish(),
    coupon: z.string().trim().max(64).nullish(),
    customerId: z.string().trim().max(128).nullish(),
    storeId: z.string().trim().max(64).nullish().openapi({ description: 'the physical store of an offline (O2O) sale; reports group by it (groupBy=store)' }),
    newCustomer: z.boolean().nullish(),
    currency: CurrencySchema,
    shipping: Amount.default('0'),
    tax: Amount.default('0'),
    nonCashAmount: Amount.default('0').openapi({ description: 'paid with points, store credit or gift cards' }),
    placedAt: DateTime.optional().openapi({ description: 'when the order was placed; defaults to the first event seen' }),
    items: z.array(OrderItem).min(1).max(1000),
  })
  .openapi('Order');

export const OrderEventBody = z
  .object({
    type: z.enum(ORDER_EVENT_TYPES),
    programId: z.string().max(40).openapi({ example: 'prg_1' }),
    order: OrderBody,
    occurredAt: DateTime.openapi({ example: '2026-11-25T10:00:00Z' }),
  })
  .openapi('OrderEvent');

/** What an order delivery answers, whichever channel brought it (API, postback, connector). */
export const OrderIntakeResult = z
  .object({
    id: z.string(),
    programId: z.string(),
    status: z.enum(ORDER_STATUSES),
    attribution: z.object({
      affiliateId: z.string().nullable(),
      method: z.enum(['click', 'coupon', 'none']),
      reason: z.string(),
      held: z.boolean(),
    }),
    duplicate: z.boolean().openapi({ description: 'true when this delivery changed nothing (a replay)' }),
    catalog: z
      .object({ unknownSkus: z.array(z.string()) })
      .optional()
      .openapi({
        description: "SKUs sent without a category that the program's catalogue does not know: they earn the default rate",
      }),
  })
  .openapi('OrderIntakeResult');

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
  if (order.storeId) snapshot.storeId = order.storeId;
  if (order.newCustomer !== undefined && order.newCustomer !== null) snapshot.newCustomer = order.newCustomer;
  if (order.placedAt) snapshot.placedAt = toUtcIso(order.placedAt);
  return snapshot;
}

export function toNormalizedEvent(input: OrderEventInput): NormalizedOrderEvent {
  return { type: input.type, occurredAt: toUtcIso(input.occurredAt), order: toOrderSnapshot(input.order) };
}

/**
 * `toNormalizedEvent(OrderEventBody.parse(body))` for a body that passes every check, in one pass
 * without zod; undefined for anything else, which then takes that path for its error message.
 * Zod's parse and the normalisation were a tenth of an order's CPU in the server, where a plain
 * walk over the few fields costs a fraction of it. It accepts only what the schema and
 * toOrderSnapshot accept and builds the same objects, keys in the same order (the content hash
 * is taken over their JSON): test/unit/order-event-fast.test.ts holds it to that.
 */
export function fastNormalizedEvent(body: unknown): NormalizedOrderEvent | undefined {
  if (!isRecord(body)) return undefined;
  const { type, programId, occurredAt, order } = body;
  if (typeof type !== 'string' || !EVENT_TYPES.has(type)) return undefined;
  if (typeof programId !== 'string' || programId.length > 40) return undefined;
  if (!isDateTime(occurredAt) || !isRecord(order)) return undefined;
  const snapshot = fastOrderSnapshot(order);
  return snapshot && { type: type as OrderEventType, occurredAt: toUtcIso(occurredAt), order: snapshot };
}

const EVENT_TYPES: ReadonlySet<string> = new Set(ORDER_EVENT_TYPES);
const DATETIME_PATTERN: unknown = (DateTime as unknown as { _zod?: { def?: { pattern?: unknown } } })._zod?.def?.pattern;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// zod's own pattern for the datetime fields; if a zod release ever hides it, every event takes
// the zod path instead.
function isDateTime(value: unknown): value is string {
  return typeof value === 'string' && DATETIME_PATTERN instanceof RegExp && DATETIME_PATTERN.test(value);
}

/** `Text(max)`: the trimmed string, or undefined when it is not one of 1..max characters. */
function text(value: unknown, max: number): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed.length >= 1 && trimmed.length <= max ? trimmed : undefined;
}

/** Minor units of an amount field (absent means `'0'`), or undefined when it does not parse. */
function minor(value: unknown, currency: string): number | undefined {
  if (value === undefined) return 0;
  if (typeof value !== 'string') return undefined;
  const parsed = parseMoney(value, currency);
  return parsed.ok ? parsed.value.minor : undefined;
}

function count(value: unknown, min: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= 1_000_000;
}

function fastOrderSnapshot(order: Record<string, unknown>): OrderSnapshot | undefined {
  const id = text(order.id, 128);
  if (id === undefined) return undefined;
  const { clickId, newCustomer, currency, placedAt, items } = order;
  if (clickId !== undefined && clickId !== null && (typeof clickId !== 'string' || clickId.length > 200)) return undefined;
  let coupon = order.coupon;
  if (coupon !== undefined && coupon !== null) {
    if (typeof coupon !== 'string' || (coupon = coupon.trim()).length > 64) return undefined;
  }
  let customerId = order.customerId;
  if (customerId !== undefined && customerId !== null) {
    if (typeof customerId !== 'string' || (customerId = customerId.trim()).length > 128) return undefined;
  }
  let storeId = order.storeId;
  if (storeId !== undefined && storeId !== null) {
    if (typeof storeId !== 'string' || (storeId = storeId.trim()).length > 64) return undefined;
  }
  if (newCustomer !== undefined && newCustomer !== null && typeof newCustomer !== 'boolean') return undefined;
  if (typeof currency !== 'string' || !isCurrency(currency)) return undefined;
  if (placedAt !== undefined && !isDateTime(placedAt)) return undefined;
  if (!Array.isArray(items) || items.length < 1 || items.length > 1000) return undefined;
  const shippingMinor = minor(order.shipping, currency);
  const taxMinor = minor(order.tax, currency);
  const nonCashMinor = minor(order.nonCashAmount, currency);
  if (shippingMinor === undefined || taxMinor === undefined || nonCashMinor === undefined) return undefined;

  const lines: OrderSnapshot['lines'] = [];
  let goods = 0;
  for (const item of items as unknown[]) {
    if (!isRecord(item)) return undefined;
    const sku = text(item.sku, 100);
    if (sku === undefined) return undefined;
    let category = item.category;
    if (category !== undefined && (category = text(category, 100)) === undefined) return undefined;
    const { quantity, unitPrice } = item;
    const refundedQuantity = item.refundedQuantity === undefined ? 0 : item.refundedQuantity;
    if (!count(quantity, 1) || !count(refundedQuantity, 0) || typeof unitPrice !== 'string') return undefined;
    const unitPriceMinor = minor(unitPrice, currency);
    const discountMinor = minor(item.discount, currency);
    if (unitPriceMinor === undefined || discountMinor === undefined) return undefined;
    if (discountMinor > quantity * unitPriceMinor || refundedQuantity > quantity) return undefined;
    if (!Number.isSafeInteger(quantity * unitPriceMinor)) return undefined;
    lines.push(
      category !== undefined
        ? { sku, category: category as string, quantity, unitPriceMinor, discountMinor, refundedQuantity }
        : { sku, quantity, unitPriceMinor, discountMinor, refundedQuantity },
    );
    // As toOrderSnapshot's reduce adds it, so the sum rounds alike past 2^53.
    goods = goods + quantity * unitPriceMinor - discountMinor;
  }
  if (nonCashMinor > goods) return undefined;
  const snapshot: OrderSnapshot = { id, currency, shippingMinor, taxMinor, nonCashMinor, lines };
  if (clickId) snapshot.clickId = clickId as string;
  if (coupon) snapshot.coupon = coupon as string;
  if (customerId) snapshot.customerId = customerId as string;
  if (storeId) snapshot.storeId = storeId as string;
  if (newCustomer !== undefined && newCustomer !== null) snapshot.newCustomer = newCustomer;
  if (placedAt) snapshot.placedAt = toUtcIso(placedAt);
  return snapshot;
}
