import { scaleRounded } from '../rounding';
import type { ConnectorLine, ConnectorOrder, ConnectorRefund, ConnectorStatus } from './connector-order';
import { arrayOf, isRecord, MappingError, platformId, platformMoney, platformTime, positiveInt } from './platform-json';

/**
 * WooCommerce order webhooks (topics order.created, order.updated, order.deleted; the body is the
 * REST API v3 `order` resource, https://woocommerce.github.io/woocommerce-rest-api-docs/#orders)
 * mapped to the connector order. Line `subtotal` is before discounts and `total` after, both
 * without tax; `price` is already after discount, so the unit price is subtotal ÷ quantity.
 */
export const WOO_ORDER_TOPICS = ['order.created', 'order.updated'] as const;
export const WOO_DELETE_TOPIC = 'order.deleted';

/** Order meta keys the checkout snippet stores the click id under. */
const CLICK_META_KEYS = ['clickledger_clid', '_clickledger_clid', 'clid', '_clid'];

const STATUS: Record<string, ConnectorStatus> = {
  pending: 'created',
  'on-hold': 'created',
  failed: 'created',
  'checkout-draft': 'created',
  processing: 'paid',
  completed: 'completed',
  refunded: 'refunded',
  cancelled: 'cancelled',
  trash: 'cancelled',
};

/** WooCommerce's *_gmt fields are UTC without an offset; null when the event has not happened. */
function gmt(value: unknown, path: string): string | undefined {
  return value === null || value === undefined || value === '' ? undefined : platformTime(value, path, { naiveIsUtc: true });
}

export function mapWooOrder(payload: unknown): ConnectorOrder {
  if (!isRecord(payload)) throw new MappingError('the body must be a WooCommerce order object');
  const o = payload;
  const id = platformId(o.id, 'id');
  if (typeof o.currency !== 'string') throw new MappingError('currency is missing');
  const currency = o.currency;
  const notes: string[] = [];
  const money = (value: unknown, path: string, options: { allowNegative?: boolean } = {}) => {
    const m = platformMoney(value, currency, path, options);
    if (m.rounded) notes.push(m.rounded);
    return m.minor;
  };

  const lines: ConnectorLine[] = arrayOf(o.line_items, 'line_items').map((raw, i) => {
    const path = `line_items[${i}]`;
    if (!isRecord(raw)) throw new MappingError(`${path} must be an object`);
    const quantity = positiveInt(raw.quantity, `${path}.quantity`);
    const subtotal = money(raw.subtotal, `${path}.subtotal`);
    const total = money(raw.total, `${path}.total`);
    if (total > subtotal) throw new MappingError(`${path}: total is larger than subtotal`);
    // The base must be exactly the line total. When the subtotal is not a whole number of minor
    // units per unit, the unit price is rounded up and the difference counted as discount.
    const unitPriceMinor = Math.ceil(subtotal / quantity);
    const discountMinor = quantity * unitPriceMinor - total;
    if (unitPriceMinor * quantity !== subtotal) {
      notes.push(
        `${path}: subtotal ${raw.subtotal} ÷ ${quantity} is not a whole amount: unit price rounded up, the difference counted as discount`,
      );
    }
    if (!Number.isSafeInteger(quantity * unitPriceMinor)) throw new MappingError(`${path} is too large`);
    let sku = typeof raw.sku === 'string' ? raw.sku.trim() : '';
    if (sku === '') {
      const product = raw.variation_id
        ? `variation:${platformId(raw.variation_id, `${path}.variation_id`)}`
        : `product:${platformId(raw.product_id ?? 0, `${path}.product_id`)}`;
      sku = product;
      notes.push(`${path} has no SKU: recorded as ${sku}`);
    }
    return { lineId: platformId(raw.id, `${path}.id`), sku: sku.slice(0, 100), quantity, unitPriceMinor, discountMinor };
  });
  if (lines.length === 0) throw new MappingError('the order has no line items');

  const status = typeof o.status === 'string' ? STATUS[o.status] : undefined;
  if (!status) throw new MappingError(`status ${String(o.status)} is not a WooCommerce order status`);
  const updatedAt = gmt(o.date_modified_gmt, 'date_modified_gmt') ?? gmt(o.date_created_gmt, 'date_created_gmt');
  const placedAt = gmt(o.date_created_gmt, 'date_created_gmt');
  if (!updatedAt || !placedAt) throw new MappingError('date_created_gmt is missing');
  const statusAt =
    status === 'completed'
      ? (gmt(o.date_completed_gmt, 'date_completed_gmt') ?? updatedAt)
      : status === 'paid'
        ? (gmt(o.date_paid_gmt, 'date_paid_gmt') ?? updatedAt)
        : updatedAt;

  // Refunds in the order carry totals only (negative, tax included). Their share net of tax is
  // the refund × (total − total_tax) ÷ total, rounded half away from zero.
  const orderTotal = money(o.total, 'total');
  const orderTax = o.total_tax === undefined || o.total_tax === null ? 0 : money(o.total_tax, 'total_tax');
  const refunds: ConnectorRefund[] = arrayOf(o.refunds, 'refunds').map((r, i) => {
    if (!isRecord(r)) throw new MappingError(`refunds[${i}] must be an object`);
    const gross = Math.abs(money(r.total, `refunds[${i}].total`, { allowNegative: true }));
    return {
      id: platformId(r.id, `refunds[${i}].id`),
      // The order document gives no refund time: the document's own time stands in for it.
      createdAt: updatedAt,
      source: 'document',
      lines: [],
      amountNetMinor: orderTotal > 0 ? scaleRounded(gross, orderTotal - orderTax, orderTotal) : 0,
    };
  });

  let click: { id: string; source: string } | undefined;
  for (const [i, meta] of arrayOf(o.meta_data, 'meta_data').entries()) {
    if (
      isRecord(meta) &&
      typeof meta.key === 'string' &&
      CLICK_META_KEYS.includes(meta.key) &&
      typeof meta.value === 'string' &&
      meta.value.trim()
    ) {
      click = { id: meta.value.trim().slice(0, 200), source: `meta_data[${i}].${meta.key}` };
      break;
    }
  }
  const codes = arrayOf(o.coupon_lines, 'coupon_lines').flatMap((c) =>
    isRecord(c) && typeof c.code === 'string' && c.code.trim() ? [c.code.trim()] : [],
  );
  if (codes.length > 1) notes.push(`coupons ${codes.join(', ')}: the first one is used for coupon attribution`);
  const customerId =
    o.customer_id === 0 || o.customer_id === '0' || o.customer_id === undefined || o.customer_id === null
      ? undefined
      : platformId(o.customer_id, 'customer_id');

  return {
    id,
    currency,
    placedAt,
    updatedAt,
    status,
    statusAt,
    clickId: click?.id,
    clickIdSource: click?.source,
    coupon: codes[0]?.slice(0, 64),
    customerId,
    newCustomer: undefined,
    shippingMinor: o.shipping_total === undefined || o.shipping_total === null ? 0 : money(o.shipping_total, 'shipping_total'),
    taxMinor: orderTax,
    nonCashMinor: 0,
    lines,
    refunds,
    refundMethodWithoutLines: 'proportional',
    notes,
  };
}

/** An order.deleted body: only the id. */
export function mapWooDeletion(payload: unknown): string {
  if (!isRecord(payload)) throw new MappingError('the body must be a WooCommerce order object');
  return platformId(payload.id, 'id');
}

/**
 * GET /wp-json/wc/v3/orders/{id}/refunds: each refund with its line items, whose quantities are
 * negative and which name the order line they take back in meta `_refunded_item_id`.
 */
export function mapWooRestRefunds(payload: unknown): ConnectorRefund[] {
  return arrayOf(payload, 'refunds').map((r, i) => {
    const path = `refunds[${i}]`;
    if (!isRecord(r)) throw new MappingError(`${path} must be an object`);
    const lines = arrayOf(r.line_items, `${path}.line_items`).flatMap((item, j) => {
      if (!isRecord(item)) return [];
      const quantity = Math.abs(typeof item.quantity === 'number' ? item.quantity : 0);
      const meta = arrayOf(item.meta_data, `${path}.line_items[${j}].meta_data`).find(
        (m) => isRecord(m) && m.key === '_refunded_item_id',
      );
      if (!quantity || !isRecord(meta)) return [];
      return [
        {
          lineId: platformId(
            typeof meta.value === 'string' || typeof meta.value === 'number' ? meta.value : undefined,
            `${path}.line_items[${j}]._refunded_item_id`,
          ),
          quantity,
        },
      ];
    });
    return {
      id: platformId(r.id, `${path}.id`),
      createdAt:
        gmt(r.date_created_gmt, `${path}.date_created_gmt`) ??
        platformTime(r.date_created, `${path}.date_created`, { naiveIsUtc: true }),
      source: 'rest' as const,
      // A refund of an amount only (no units) has no line detail here either: the order
      // document's total for it, net of tax, stays in force.
      lines,
    };
  });
}
