import type { OrderSnapshot } from './order';
import { hasLoneSurrogate, LONE_SURROGATE_MESSAGE } from './unicode';

/**
 * What an order event may carry before it reaches the store. Every intake path (signed events,
 * the postback, the shop connectors) is held to these bounds, because nothing stored may later
 * break an export, a report or exact arithmetic: a year-2300 date lands on a ClickHouse day that
 * does not reconcile, year 9999 does not parse there at all, and a total past 2^53 minor units
 * is no longer an exact integer in JavaScript.
 */

/** No order predates the year 2000: an earlier date is a shop's bug, not a sale. */
export const EARLIEST_ORDER_TIME = '2000-01-01T00:00:00.000Z';

/** A shop's clock may run ahead of ours by this much; beyond it a date is refused. */
export const MAX_CLOCK_AHEAD_MS = 3600 * 1000;

/**
 * The largest order total in minor units (2^37, about 1.37 billion in a two-decimal currency).
 * Far below 2^53, so the sums reports and payouts make of many orders (65,536 orders at this
 * maximum) stay exact integers too.
 */
export const MAX_ORDER_TOTAL_MINOR = 2 ** 37;

const EARLIEST_ORDER_MS = Date.parse(EARLIEST_ORDER_TIME);

export type BoundsCheck = { ok: true } | { ok: false; field: string; message: string };

/**
 * Checks an event's dates against `nowMs`, its identifiers for valid Unicode and its order's
 * totals against exact arithmetic.
 */
export function checkOrderBounds(event: { occurredAt: string; order: OrderSnapshot }, nowMs: number): BoundsCheck {
  const dates: [string, string | undefined][] = [
    ['occurredAt', event.occurredAt],
    ['order.placedAt', event.order.placedAt],
  ];
  for (const [field, value] of dates) {
    if (value === undefined) continue;
    const at = Date.parse(value);
    // Written as "not at or after" so that an unparseable date (NaN) is refused, never let through.
    if (!(at >= EARLIEST_ORDER_MS)) return { ok: false, field, message: `${field}: ${value} is before 2000-01-01` };
    if (at > nowMs + MAX_CLOCK_AHEAD_MS)
      return { ok: false, field, message: `${field}: ${value} is more than one hour in the future` };
  }
  const { order } = event;
  const identifiers: [string, string | undefined][] = [
    ['order.id', order.id],
    ['order.coupon', order.coupon],
    ['order.customerId', order.customerId],
    ['order.storeId', order.storeId],
    ...Object.entries(order.subIds ?? {}),
    ['order.clickId', order.clickId],
  ];
  order.lines.forEach((line, i) => {
    identifiers.push([`order.items[${i}].sku`, line.sku], [`order.items[${i}].category`, line.category]);
  });
  for (const [field, value] of identifiers) {
    if (value !== undefined && hasLoneSurrogate(value))
      return { ok: false, field, message: `${field}: ${LONE_SURROGATE_MESSAGE}` };
  }
  let total = order.shippingMinor + order.taxMinor;
  for (const line of order.lines) total += line.quantity * line.unitPriceMinor;
  if (!(total <= MAX_ORDER_TOTAL_MINOR))
    return {
      ok: false,
      field: 'order.items',
      message: `order: the total (items, shipping and tax) is more than ${MAX_ORDER_TOTAL_MINOR} minor units of ${order.currency}`,
    };
  return { ok: true };
}
