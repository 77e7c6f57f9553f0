import { describe, expect, it } from 'vitest';
import { fastNormalizedEvent, OrderEventBody, toNormalizedEvent } from '../../src/app/schemas/order-event';
import type { NormalizedOrderEvent } from '../../src/domain/order';
import { FULL_ORDER_EVENT } from '../fixtures/order-events';
import { prng } from '../support/prng';

/**
 * The intake's fast path stands in for zod and toNormalizedEvent: it may turn any body down (zod
 * then answers), but a body it takes must be one the slow path takes too, giving the same event
 * with its keys in the same order (the content hash is over its JSON).
 */
function slow(body: unknown): NormalizedOrderEvent | 'rejected' {
  try {
    return toNormalizedEvent(OrderEventBody.parse(body));
  } catch {
    return 'rejected';
  }
}

function expectSameAsSlow(body: unknown): 'fast' | 'slow' {
  const fast = fastNormalizedEvent(body);
  if (fast === undefined) return 'slow';
  const expected = slow(body);
  expect(expected).not.toBe('rejected');
  expect(fast).toStrictEqual(expected);
  expect(JSON.stringify(fast)).toBe(JSON.stringify(expected));
  return 'fast';
}

const shapes = [
  {
    type: 'order.created',
    programId: 'prg_1',
    order: {
      id: 'B-1',
      currency: 'EUR',
      customerId: 'cust-1',
      shipping: '4.90',
      items: [
        { sku: 'SKU-1', category: 'shoes', quantity: 2, unitPrice: '49.90', discount: '5.00' },
        { sku: 'SOCKS', category: 'accessories', quantity: 2, unitPrice: '7.50' },
      ],
    },
    occurredAt: '2026-11-26T15:20:07.123Z',
  },
  // The full event with what the schema trims or drops: padded text and keys it does not know.
  {
    ...FULL_ORDER_EVENT,
    order: {
      ...FULL_ORDER_EVENT.order,
      id: ` ${FULL_ORDER_EVENT.order.id} `,
      customerId: ' cust-7 ',
      items: [
        { ...FULL_ORDER_EVENT.order.items[0]!, category: ' shoes ' },
        { ...FULL_ORDER_EVENT.order.items[1]!, extra: 'ignored' },
      ],
      extra: { ignored: true },
    },
    extra: 1,
  },
];

const pad = (n: number) => 'x'.repeat(n);
const strings = [
  '',
  ' ',
  'a',
  ' a ',
  '\u00a0b\u00a0',
  '\ufeffc',
  pad(40),
  pad(41),
  pad(64),
  pad(65),
  ` ${pad(100)} `,
  pad(101),
  pad(128),
  pad(129),
  pad(200),
  pad(201),
];
const numbers = [0, -0, 1, 2, 1.5, -1, 999_999, 1_000_000, 1_000_001, 2 ** 53, 1e300];
const amounts = [
  '0',
  '00',
  '0.0',
  '1',
  '1.',
  '.5',
  '1.5',
  '1.50',
  '1.505',
  '1.5000',
  '-1',
  '-0',
  '+1',
  ' 1',
  '1e3',
  '49.90',
  '4990',
  '90071992547409.91',
  '9007199254740993',
  '99999999999999999999',
];
const dates = [
  '2026-11-25T10:00:00Z',
  '2026-11-25T10:00:00.000Z',
  '2026-11-25T10:00:00.1Z',
  '2026-11-25T10:00:00.123456Z',
  '2026-11-25T10:00:00+01:00',
  '2026-11-25T10:00:00.5-05:30',
  '2024-02-29T00:00:00Z',
  '2023-02-29T00:00:00Z',
  '2026-04-31T00:00:00Z',
  '2026-11-25T24:00:00Z',
  '2026-11-25T10:00Z',
  '2026-11-25T10:00:00',
  '2026-11-25t10:00:00z',
  '2026-11-25 10:00:00Z',
  ' 2026-11-25T10:00:00Z',
  '2026-11-25',
];
const currencies = ['EUR', 'JPY', 'KWD', 'CLF', 'eur', 'XAU', 'EURO', ''];
const misc = [undefined, null, true, false, [], {}, [1], { a: 1 }];

function pick<T>(random: () => number, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)]!;
}

function anyValue(random: () => number): unknown {
  const kind = random();
  if (kind < 0.3) return pick(random, strings);
  if (kind < 0.45) return pick(random, numbers);
  if (kind < 0.6) return pick(random, amounts);
  if (kind < 0.7) return pick(random, dates);
  if (kind < 0.8) return pick(random, currencies);
  return pick(random, misc);
}

/** A value of the kind the field expects, or anything at all now and then. */
function valueFor(field: string, random: () => number): unknown {
  if (random() < 0.25) return anyValue(random);
  switch (field) {
    case 'type':
      return pick(random, [
        'order.created',
        'order.paid',
        'order.completed',
        'order.refunded',
        'order.cancelled',
        'order.updated',
        'created',
      ]);
    case 'currency':
      return pick(random, currencies);
    case 'occurredAt':
    case 'placedAt':
      return pick(random, dates);
    case 'quantity':
    case 'refundedQuantity':
      return pick(random, numbers);
    case 'shipping':
    case 'tax':
    case 'nonCashAmount':
    case 'unitPrice':
    case 'discount':
      return pick(random, amounts);
    case 'newCustomer':
      return pick(random, [true, false, null, undefined, 'true', 0]);
    default:
      return pick(random, strings);
  }
}

const ROOT = ['type', 'programId', 'occurredAt', 'order'];
const ORDER = [
  'id',
  'clickId',
  'coupon',
  'customerId',
  'newCustomer',
  'currency',
  'shipping',
  'tax',
  'nonCashAmount',
  'placedAt',
  'items',
];
const ITEM = ['sku', 'category', 'quantity', 'unitPrice', 'discount', 'refundedQuantity'];

function set(target: Record<string, unknown>, field: string, value: unknown) {
  if (typeof target !== 'object' || target === null) return;
  if (value === undefined) delete target[field];
  else target[field] = value;
}

function mutate(random: () => number): unknown {
  const body = structuredClone(pick(random, shapes)) as Record<string, unknown> & {
    order: Record<string, unknown> & { items: Record<string, unknown>[] };
  };
  const changes = 1 + Math.floor(random() * 3);
  for (let n = 0; n < changes; n++) {
    const where = random();
    if (where < 0.1) {
      const field = pick(random, ROOT);
      set(body, field, valueFor(field, random));
    } else if (typeof body.order !== 'object' || body.order === null) continue;
    else if (where < 0.5) {
      const field = pick(random, ORDER);
      if (field === 'items') {
        const r = random();
        body.order.items =
          r < 0.3
            ? []
            : r < 0.6
              ? Array.from({ length: 1001 }, () => ({ sku: 'S', quantity: 1, unitPrice: '1' }))
              : (anyValue(random) as never);
      } else set(body.order, field, valueFor(field, random));
    } else if (Array.isArray(body.order.items) && body.order.items.length > 0) {
      const item = pick(random, body.order.items);
      const field = pick(random, ITEM);
      if (random() < 0.05) body.order.items[0] = anyValue(random) as never;
      else set(item, field, valueFor(field, random));
    }
  }
  return body;
}

describe('fastNormalizedEvent', () => {
  it('takes the common bodies', () => {
    for (const body of shapes) expect(expectSameAsSlow(body)).toBe('fast');
  });

  it('takes only what zod and toNormalizedEvent take, and gives what they give', () => {
    const random = prng(20261126);
    const seen = { fast: 0, slow: 0 };
    for (let i = 0; i < 20_000; i++) seen[expectSameAsSlow(mutate(random))]++;
    // Both paths were exercised: valid mutations through the fast one, invalid ones left to zod.
    expect(seen.fast).toBeGreaterThan(2_000);
    expect(seen.slow).toBeGreaterThan(2_000);
  });

  it('leaves bodies that are not objects to zod', () => {
    for (const body of [null, [], 'x', 1, true, [shapes[0]]]) expect(expectSameAsSlow(body)).toBe('slow');
  });

  it('turns down amounts that parse but break the order rules, as toOrderSnapshot does', () => {
    const base = shapes[0]!;
    const withOrder = (order: object) => ({ ...base, order: { ...base.order, ...order } });
    for (const body of [
      withOrder({ items: [{ sku: 'S', quantity: 1, unitPrice: '1.00', discount: '1.01' }] }),
      withOrder({ items: [{ sku: 'S', quantity: 1, unitPrice: '1.00', refundedQuantity: 2 }] }),
      withOrder({ items: [{ sku: 'S', quantity: 1_000_000, unitPrice: '90071992547409.91' }] }),
      withOrder({ nonCashAmount: '200.00' }),
      withOrder({ shipping: '1.001' }),
    ]) {
      expect(expectSameAsSlow(body)).toBe('slow');
      expect(slow(body)).toBe('rejected');
    }
  });
});
