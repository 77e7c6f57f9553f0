import { CLICK_ID_PARAM } from '../click-id';
import type { ConnectorLine, ConnectorOrder, ConnectorRefund, ConnectorStatus } from './connector-order';
import {
  arrayOf,
  clickIdFromUrl,
  isRecord,
  MappingError,
  platformId,
  platformMoney,
  platformTime,
  positiveInt,
} from './platform-json';

/**
 * Shopify order webhooks (REST Admin API `Order` and `Refund` resources, as the webhook topics
 * orders/create, orders/paid, orders/updated, orders/cancelled and refunds/create send them)
 * mapped to the connector order. Amounts are the shop-currency strings (`price`, `total_tax`),
 * not the presentment ones; refund line `subtotal` is a JSON number and is not used for money.
 */
export const SHOPIFY_ORDER_TOPICS = ['orders/create', 'orders/paid', 'orders/updated', 'orders/cancelled'] as const;
export const SHOPIFY_REFUND_TOPIC = 'refunds/create';

/** Names under which the storefront snippet puts the click id into cart attributes. */
const CLICK_ATTRIBUTE_NAMES = [CLICK_ID_PARAM, 'clickledger_clid', '_clid'];

/**
 * The order's status as the shop sees it. Cancellation is read from `cancelled_at`, never
 * inferred from refunds; a fulfilled order is "completed" (delivered is what approval waits for,
 * and fulfilment is the last step Shopify knows about).
 */
function shopifyStatus(o: Record<string, unknown>): ConnectorStatus {
  if (o.cancelled_at !== null && o.cancelled_at !== undefined) return 'cancelled';
  if (o.financial_status === 'voided') return 'cancelled';
  if (o.financial_status === 'refunded') return 'refunded';
  if (o.fulfillment_status === 'fulfilled') return 'completed';
  if (o.financial_status === 'paid' || o.financial_status === 'partially_refunded') return 'paid';
  return 'created';
}

/**
 * When the order reached its status, from the document's own facts: Shopify has no paid time on
 * the order, so a paid order's is the time of the document that says so (the earliest such
 * document wins in the canonical state); fulfilment and cancellation have their own times.
 * `created` is no milestone: its time is the document's.
 */
function statusTime(o: Record<string, unknown>, status: ConnectorStatus, updatedAt: string, refunds: ConnectorRefund[]): string {
  switch (status) {
    case 'cancelled':
      return o.cancelled_at ? platformTime(o.cancelled_at, 'cancelled_at') : updatedAt;
    case 'completed': {
      const times = arrayOf(o.fulfillments, 'fulfillments').flatMap((f, i) =>
        isRecord(f) && f.status !== 'cancelled' && f.created_at
          ? [platformTime(f.created_at, `fulfillments[${i}].created_at`)]
          : [],
      );
      return times.length > 0 ? times.reduce((a, b) => (a > b ? a : b)) : updatedAt;
    }
    case 'refunded':
      return refunds.length > 0 ? refunds.map((r) => r.createdAt).reduce((a, b) => (a > b ? a : b)) : updatedAt;
    default:
      return updatedAt;
  }
}

function clickId(o: Record<string, unknown>): { id: string; source: string } | undefined {
  // Cart attributes become note_attributes: the snippet writes the latest click there, so they
  // win over the landing page of the session, which may predate the affiliate's click.
  for (const [i, attribute] of arrayOf(o.note_attributes, 'note_attributes').entries()) {
    if (!isRecord(attribute) || typeof attribute.name !== 'string') continue;
    if (CLICK_ATTRIBUTE_NAMES.includes(attribute.name) && typeof attribute.value === 'string' && attribute.value.trim() !== '') {
      return { id: attribute.value.trim().slice(0, 200), source: `note_attributes[${i}].${attribute.name}` };
    }
  }
  const fromLanding = clickIdFromUrl(o.landing_site);
  return fromLanding ? { id: fromLanding, source: 'landing_site' } : undefined;
}

function refundFrom(r: unknown, path: string, source: ConnectorRefund['source']): ConnectorRefund {
  if (!isRecord(r)) throw new MappingError(`${path} must be an object`);
  return {
    id: platformId(r.id, `${path}.id`),
    createdAt: platformTime(r.created_at ?? r.processed_at, `${path}.created_at`),
    source,
    lines: arrayOf(r.refund_line_items, `${path}.refund_line_items`).map((item, i) => {
      if (!isRecord(item)) throw new MappingError(`${path}.refund_line_items[${i}] must be an object`);
      return {
        lineId: platformId(item.line_item_id, `${path}.refund_line_items[${i}].line_item_id`),
        quantity: positiveInt(item.quantity, `${path}.refund_line_items[${i}].quantity`, { allowZero: true }),
      };
    }),
  };
}

export function mapShopifyOrder(payload: unknown): ConnectorOrder {
  if (!isRecord(payload)) throw new MappingError('the body must be a Shopify order object');
  const o = payload;
  const id = platformId(o.id, 'id');
  if (typeof o.currency !== 'string') throw new MappingError('currency is missing');
  const currency = o.currency;
  const notes: string[] = [];
  const money = (value: unknown, path: string) => {
    const m = platformMoney(value, currency, path);
    if (m.rounded) notes.push(m.rounded);
    return m.minor;
  };

  const lines: ConnectorLine[] = [];
  for (const [i, raw] of arrayOf(o.line_items, 'line_items').entries()) {
    if (!isRecord(raw)) throw new MappingError(`line_items[${i}] must be an object`);
    const path = `line_items[${i}]`;
    const lineId = platformId(raw.id, `${path}.id`);
    // Selling a gift card is not a sale of goods: the goods are bought when it is redeemed.
    if (raw.gift_card === true) {
      notes.push(`${path} is a gift card: left out of the commission base`);
      continue;
    }
    const quantity = positiveInt(raw.quantity, `${path}.quantity`, { allowZero: true });
    if (quantity === 0) continue;
    const unitPriceMinor = money(raw.price, `${path}.price`);
    // discount_allocations are this line's share of every discount (line, order and code);
    // total_discount is the older field some API versions still fill instead.
    const allocations = arrayOf(raw.discount_allocations, `${path}.discount_allocations`);
    const discountMinor =
      allocations.length > 0
        ? allocations.reduce<number>(
            (sum, a, j) => sum + money(isRecord(a) ? a.amount : undefined, `${path}.discount_allocations[${j}].amount`),
            0,
          )
        : raw.total_discount === undefined || raw.total_discount === null
          ? 0
          : money(raw.total_discount, `${path}.total_discount`);
    if (discountMinor > quantity * unitPriceMinor)
      throw new MappingError(`${path}: the discount is larger than quantity × price`);
    let sku = typeof raw.sku === 'string' ? raw.sku.trim() : '';
    if (sku === '') {
      sku = raw.variant_id ? `variant:${platformId(raw.variant_id, `${path}.variant_id`)}` : `line:${lineId}`;
      notes.push(`${path} has no SKU: recorded as ${sku}`);
    }
    lines.push({ lineId, sku: sku.slice(0, 100), quantity, unitPriceMinor, discountMinor });
  }
  if (lines.length === 0) throw new MappingError('the order has no line that can earn commission (no items, or gift cards only)');

  const shippingSet =
    isRecord(o.total_shipping_price_set) && isRecord(o.total_shipping_price_set.shop_money)
      ? o.total_shipping_price_set.shop_money.amount
      : undefined;
  const shippingMinor =
    shippingSet !== undefined
      ? money(shippingSet, 'total_shipping_price_set.shop_money.amount')
      : arrayOf(o.shipping_lines, 'shipping_lines').reduce<number>(
          (sum, s, i) => sum + money(isRecord(s) ? s.price : undefined, `shipping_lines[${i}].price`),
          0,
        );

  const codes = arrayOf(o.discount_codes, 'discount_codes').flatMap((d) =>
    isRecord(d) && typeof d.code === 'string' && d.code.trim() ? [d.code.trim()] : [],
  );
  if (codes.length > 1) notes.push(`discount codes ${codes.join(', ')}: the first one is used for coupon attribution`);
  const click = clickId(o);
  const customer = isRecord(o.customer) ? o.customer : undefined;

  const status = shopifyStatus(o);
  const updatedAt = platformTime(o.updated_at ?? o.created_at, 'updated_at');
  const refunds = arrayOf(o.refunds, 'refunds').map((r, i) => refundFrom(r, `refunds[${i}]`, 'document'));
  return {
    id,
    currency,
    placedAt: platformTime(o.processed_at ?? o.created_at, 'created_at'),
    updatedAt,
    status,
    statusAt: statusTime(o, status, updatedAt, refunds),
    clickId: click?.id,
    clickIdSource: click?.source,
    coupon: codes[0]?.slice(0, 64),
    customerId:
      customer && customer.id !== undefined && customer.id !== null ? platformId(customer.id, 'customer.id') : undefined,
    // Shopify's order says nothing reliable about a first order (customer.orders_count is gone
    // from recent API versions and counted differently before): newCustomer rules do not match.
    newCustomer: undefined,
    shippingMinor,
    taxMinor: o.total_tax === undefined || o.total_tax === null ? 0 : money(o.total_tax, 'total_tax'),
    nonCashMinor: 0,
    lines,
    refunds,
    refundMethodWithoutLines: 'ignored',
    notes,
  };
}

/** A refunds/create body: the refund and the id of its order. */
export function mapShopifyRefund(payload: unknown): { orderId: string; refund: ConnectorRefund } {
  if (!isRecord(payload)) throw new MappingError('the body must be a Shopify refund object');
  return { orderId: platformId(payload.order_id, 'order_id'), refund: refundFrom(payload, 'refund', 'webhook') };
}
