import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseCatalogCsv } from '../../src/domain/catalog';
import { type ConnectorOrder, toCanonicalEvent } from '../../src/domain/connectors/connector-order';
import { parsePlatformJson, platformMoney } from '../../src/domain/connectors/platform-json';
import { verifyPlatformSignature } from '../../src/domain/connectors/platform-signature';
import { mapShopifyOrder } from '../../src/domain/connectors/shopify';
import { mapWooOrder, mapWooRestRefunds } from '../../src/domain/connectors/woocommerce';
import { lineBaseAfterRefunds } from '../../src/domain/order';
import { shopifyBody, shopifyOrder } from '../fixtures/shopify';
import { wooOrder, wooRestRefund } from '../fixtures/woocommerce';

const hmac = (key: Uint8Array, ...parts: (Uint8Array | string)[]) => {
  const mac = createHmac('sha256', key);
  for (const part of parts) mac.update(part);
  return new Uint8Array(mac.digest());
};
const sign = (secret: string, body: string) => createHmac('sha256', secret).update(body).digest('base64');
const bytes = (text: string) => new TextEncoder().encode(text);

describe('platform signatures (Shopify, WooCommerce)', () => {
  const body = '{"id":1,"note":"café"}';
  it('accepts the base64 HMAC-SHA256 of the raw bytes under any active secret, and nothing else', () => {
    expect(verifyPlatformSignature(sign('new', body), bytes(body), ['old', 'new'], hmac)).toEqual({ ok: true });
    expect(verifyPlatformSignature(sign('other', body), bytes(body), ['old', 'new'], hmac)).toEqual({
      ok: false,
      reason: 'no_matching_signature',
    });
    expect(verifyPlatformSignature(sign('new', body), bytes(body.replace('1', '2')), ['new'], hmac)).toEqual({
      ok: false,
      reason: 'no_matching_signature',
    });
    // The same JSON re-serialised is other bytes: only the raw body verifies (P7).
    expect(verifyPlatformSignature(sign('new', body), bytes(JSON.stringify(JSON.parse(body), null, 1)), ['new'], hmac).ok).toBe(
      false,
    );
    expect(verifyPlatformSignature(undefined, bytes(body), ['new'], hmac)).toEqual({ ok: false, reason: 'missing_signature' });
    expect(verifyPlatformSignature('not base64!', bytes(body), ['new'], hmac).ok).toBe(false);
    expect(verifyPlatformSignature(sign('new', body), bytes(body), [], hmac).ok).toBe(false);
  });
});

describe('platform JSON and amounts', () => {
  it('keeps ids past 2^53 exact and leaves strings and small numbers alone', () => {
    const text =
      '{"id":820982911946154508,"order_id": 820982911946154509,"note":"{\\"id\\":1234567890123456789}","quantity":12345678901234567,"line_item_id":42}';
    expect(parsePlatformJson(text)).toEqual({
      id: '820982911946154508',
      order_id: '820982911946154509',
      note: '{"id":1234567890123456789}',
      quantity: 12345678901234568,
      line_item_id: 42,
    });
  });

  it.each([
    ['49.90', 'EUR', 4990, undefined],
    ['1000.00', 'JPY', 1000, undefined],
    ['12.3450', 'EUR', 1235, "x 12.3450 rounded to the currency's minor unit"],
    ['12.3449', 'EUR', 1234, "x 12.3449 rounded to the currency's minor unit"],
    ['1.0005', 'KWD', 1001, "x 1.0005 rounded to the currency's minor unit"],
    [47.4, 'EUR', 4740, undefined],
  ])('%s %s is %i minor units', (value, currency, minor, rounded) => {
    expect(platformMoney(value, currency, 'x')).toEqual(rounded ? { minor, rounded } : { minor });
  });

  it('refuses what is not an amount', () => {
    expect(() => platformMoney('-1.00', 'EUR', 'x')).toThrow('x must not be negative');
    expect(platformMoney('-1.00', 'EUR', 'x', { allowNegative: true })).toEqual({ minor: -100 });
    expect(() => platformMoney('1,00', 'EUR', 'x')).toThrow('x must be a decimal amount');
    expect(() => platformMoney('1.00', 'XXY', 'x')).toThrow('currency XXY is not an ISO 4217 currency');
  });
});

describe('Shopify status mapping', () => {
  it.each([
    [{ financial_status: 'pending' }, 'created'],
    [{ financial_status: 'authorized' }, 'created'],
    [{ financial_status: 'paid' }, 'paid'],
    [{ financial_status: 'partially_refunded' }, 'paid'],
    [{ financial_status: 'paid', fulfillment_status: 'partial' }, 'paid'],
    [{ financial_status: 'paid', fulfillment_status: 'fulfilled' }, 'completed'],
    [{ financial_status: 'refunded', fulfillment_status: 'fulfilled' }, 'refunded'],
    [{ financial_status: 'voided' }, 'cancelled'],
    [{ financial_status: 'refunded', cancelled_at: '2026-11-26T09:00:00+01:00' }, 'cancelled'],
  ])('%o is %s', (fields, status) => {
    expect(mapShopifyOrder(parsePlatformJson(shopifyBody(shopifyOrder(fields)))).status).toBe(status);
  });

  it('takes the completion time from the last fulfilment and the cancellation time from cancelled_at', () => {
    const fulfilled = shopifyOrder({
      financial_status: 'paid',
      fulfillment_status: 'fulfilled',
      updated_at: '2026-11-28T10:00:00+01:00',
      fulfillments: [
        { id: 1, status: 'success', created_at: '2026-11-26T08:00:00+01:00' },
        { id: 2, status: 'cancelled', created_at: '2026-11-27T08:00:00+01:00' },
      ],
    });
    expect(mapShopifyOrder(parsePlatformJson(shopifyBody(fulfilled))).statusAt).toBe('2026-11-26T07:00:00.000Z');
    const cancelled = shopifyOrder({ cancelled_at: '2026-11-26T09:00:00+01:00', updated_at: '2026-11-26T09:00:03+01:00' });
    expect(mapShopifyOrder(parsePlatformJson(shopifyBody(cancelled))).statusAt).toBe('2026-11-26T08:00:00.000Z');
  });
});

describe('WooCommerce mapping', () => {
  it.each([
    ['pending', 'created'],
    ['on-hold', 'created'],
    ['failed', 'created'],
    ['processing', 'paid'],
    ['completed', 'completed'],
    ['refunded', 'refunded'],
    ['cancelled', 'cancelled'],
  ])('status %s is %s', (status, mapped) => {
    expect(mapWooOrder(wooOrder({ status })).status).toBe(mapped);
  });

  it('treats a guest (customer_id 0) as no customer, and refund totals net of tax', () => {
    const order = mapWooOrder(wooOrder({ customer_id: 0, refunds: [{ id: 9, reason: '', total: '-118.64' }] }));
    expect(order.customerId).toBeUndefined();
    expect(order.refunds).toEqual([
      { id: '9', createdAt: '2026-11-25T11:00:01.000Z', source: 'document', lines: [], amountNetMinor: 9970 },
    ]);
  });

  it('reads refunded lines from the REST refunds resource by _refunded_item_id', () => {
    expect(mapWooRestRefunds([wooRestRefund(730, [{ lineId: 315, quantity: 2, subtotal: '94.80' }])])).toEqual([
      { id: '730', createdAt: '2026-11-27T09:00:00.000Z', source: 'rest', lines: [{ lineId: '315', quantity: 2 }] },
    ]);
  });
});

describe('toCanonicalEvent', () => {
  const base: ConnectorOrder = {
    id: 'O-1',
    currency: 'EUR',
    placedAt: '2026-11-25T10:00:00.000Z',
    updatedAt: '2026-11-25T10:00:00.000Z',
    status: 'paid',
    statusAt: '2026-11-25T10:00:00.000Z',
    shippingMinor: 0,
    taxMinor: 0,
    nonCashMinor: 0,
    lines: [
      { lineId: 'a', sku: 'A', quantity: 3, unitPriceMinor: 1000, discountMinor: 1 },
      { lineId: 'b', sku: 'B', quantity: 1, unitPriceMinor: 333, discountMinor: 0 },
    ],
    refunds: [],
    refundMethodWithoutLines: 'proportional',
    notes: [],
  };

  it('spreads an amount-only refund over the kept bases exactly, and never below zero', () => {
    const refunds = [
      { id: 'r1', createdAt: '2026-11-26T10:00:00.000Z', source: 'document' as const, lines: [], amountNetMinor: 1000 },
    ];
    const { events, receipt } = toCanonicalEvent('woocommerce', { ...base, refunds }, [], null);
    const lines = events.at(-1)!.order.lines;
    expect(lines.map((l) => l.refundedAmountMinor)).toEqual([900, 100]);
    expect(lines.map(lineBaseAfterRefunds)).toEqual([2999 - 900, 333 - 100]);
    expect(receipt.refundMethod).toBe('proportional');
    const everything = [{ ...refunds[0]!, amountNetMinor: 999_999 }];
    expect(
      toCanonicalEvent('woocommerce', { ...base, refunds: everything }, [], null)
        .events.at(-1)!
        .order.lines.map(lineBaseAfterRefunds),
    ).toEqual([0, 0]);
  });

  it('prefers a refund reported with lines over the same refund as a bare total', () => {
    const bare = {
      id: 'r1',
      createdAt: '2026-11-26T10:00:00.000Z',
      source: 'document' as const,
      lines: [],
      amountNetMinor: 1000,
    };
    const detailed = {
      id: 'r1',
      createdAt: '2026-11-26T10:00:00.000Z',
      source: 'rest' as const,
      lines: [{ lineId: 'a', quantity: 1 }],
    };
    const { events, receipt } = toCanonicalEvent('woocommerce', { ...base, refunds: [bare] }, [detailed], null);
    expect(events.at(-1)!.order.lines.map((l) => [l.refundedQuantity, l.refundedAmountMinor])).toEqual([
      [1, undefined],
      [0, undefined],
    ]);
    expect(receipt.refundMethod).toBe('rest_line_detail');
  });

  it('gives the milestone at the status time and the latest knowledge as order.created after it', () => {
    const refund = {
      id: 'r1',
      createdAt: '2026-11-27T10:00:00.000Z',
      source: 'webhook' as const,
      lines: [{ lineId: 'b', quantity: 1 }],
    };
    expect(toCanonicalEvent('shopify', base, [refund], null).events.map((e) => [e.type, e.occurredAt])).toEqual([
      ['order.paid', '2026-11-25T10:00:00.000Z'],
      ['order.created', '2026-11-27T10:00:00.000Z'],
    ]);
    expect(toCanonicalEvent('shopify', base, [], '2026-11-28T00:00:00.000Z').events.map((e) => [e.type, e.occurredAt])).toEqual([
      ['order.cancelled', '2026-11-28T00:00:00.000Z'],
    ]);
    const allBack = {
      ...refund,
      lines: [
        { lineId: 'a', quantity: 3 },
        { lineId: 'b', quantity: 1 },
      ],
    };
    expect(toCanonicalEvent('shopify', base, [allBack], null).events.map((e) => e.type)).toEqual(['order.refunded']);
  });
});

describe('catalogue CSV', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks', () => {
    expect(parseCatalogCsv('category,sku\n"Shoes, running","S""1"\n"multi\nline",S2\n')).toEqual({
      ok: true,
      items: [
        { sku: 'S"1', category: 'Shoes, running' },
        { sku: 'S2', category: 'multi\nline' },
      ],
    });
  });
});
