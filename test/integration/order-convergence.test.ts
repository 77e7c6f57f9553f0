import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderEvent, sendOrder } from '../support/shop';
import { createTenant, startTestApp, type Tenant, type TestApp } from '../support/test-app';

/**
 * P8: the events of an order, delivered in every possible order, leave the same final state.
 * Each scenario is replayed in all permutations, each permutation as its own order id.
 */
let t: TestApp;
let tenant: Tenant;
beforeAll(async () => {
  t = await startTestApp();
  tenant = await createTenant(t);
  // After the last event below (11:40): the intake refuses dates more than an hour ahead.
  t.clock.current = new Date('2026-11-25T12:00:00.000Z');
});
afterAll(async () => {
  await t.close();
});

const items = (refunded: [number, number]) => [
  { sku: 'S1', category: 'shoes', quantity: 2, unitPrice: '49.90', discount: '5.00', refundedQuantity: refunded[0] },
  { sku: 'S2', category: 'socks', quantity: 3, unitPrice: '3.33', refundedQuantity: refunded[1] },
];

type Step = [type: string, at: string, refunded: [number, number]];

const scenarios: Record<string, Step[]> = {
  'created, paid, partial refund, completed': [
    ['order.created', '10:00', [0, 0]],
    ['order.paid', '10:01', [0, 0]],
    ['order.refunded', '10:30', [0, 1]],
    ['order.completed', '12:00', [0, 1]],
  ],
  'created, paid, completed, refunded twice, a stale update': [
    ['order.created', '10:00', [0, 0]],
    ['order.paid', '10:01', [0, 0]],
    ['order.completed', '11:00', [0, 0]],
    ['order.refunded', '11:30', [1, 0]],
    ['order.refunded', '11:45', [1, 2]],
  ],
  'created, paid, cancelled': [
    ['order.created', '10:00', [0, 0]],
    ['order.paid', '10:01', [0, 0]],
    ['order.cancelled', '10:05', [0, 0]],
  ],
  'everything: created, paid, completed, refunded, cancelled': [
    ['order.created', '10:00', [0, 0]],
    ['order.paid', '10:01', [0, 0]],
    ['order.completed', '11:00', [0, 0]],
    ['order.refunded', '11:30', [2, 3]],
    ['order.cancelled', '11:40', [2, 3]],
  ],
};

function permutations<T>(list: T[]): T[][] {
  if (list.length <= 1) return [list];
  return list.flatMap((item, i) => permutations([...list.slice(0, i), ...list.slice(i + 1)]).map((rest) => [item, ...rest]));
}

let counter = 0;

describe('events in any order converge to one state (P8)', () => {
  it.each(Object.entries(scenarios))('%s', async (_name, steps) => {
    const finals = new Map<string, string[]>();
    for (const order of permutations(steps)) {
      const id = `P8-${++counter}`;
      for (const [type, at, refunded] of order) {
        const response = await sendOrder(
          t,
          tenant.merchant.webhookSecret,
          orderEvent(
            tenant.program.id,
            type,
            { id, placedAt: '2026-11-25T10:00:00Z', items: items(refunded) },
            `2026-11-25T${at}:00Z`,
          ),
        );
        expect(response.status).toBe(200);
      }
      const view = (await (await t.request(`/v1/orders/${id}`, { key: tenant.merchant.apiKey })).json()) as Record<
        string,
        unknown
      >;
      const { id: _id, history: _history, ...state } = view;
      const key = JSON.stringify(state);
      finals.set(key, [...(finals.get(key) ?? []), order.map((s) => s[0]).join(' > ')]);
    }
    expect(finals.size).toBe(1);
  });

  it('settles the expected final states', async () => {
    const states = t.store.raw
      .prepare(
        "SELECT status, revenue_minor, refunded_minor, paid_at, completed_at, cancelled_at FROM orders WHERE external_id IN ('P8-1', 'P8-25', 'P8-145', 'P8-151')",
      )
      .all();
    expect(states).toEqual([
      // partial refund of one sock (3.33) of 94.80 + 9.99
      {
        status: 'completed',
        revenue_minor: 10479,
        refunded_minor: 333,
        paid_at: '2026-11-25T10:01:00.000Z',
        completed_at: '2026-11-25T12:00:00.000Z',
        cancelled_at: null,
      },
      // one shoe (half of 94.80) and two socks (6.66)
      {
        status: 'completed',
        revenue_minor: 10479,
        refunded_minor: 4740 + 666,
        paid_at: '2026-11-25T10:01:00.000Z',
        completed_at: '2026-11-25T11:00:00.000Z',
        cancelled_at: null,
      },
      {
        status: 'cancelled',
        revenue_minor: 10479,
        refunded_minor: 0,
        paid_at: '2026-11-25T10:01:00.000Z',
        completed_at: null,
        cancelled_at: '2026-11-25T10:05:00.000Z',
      },
      {
        status: 'cancelled',
        revenue_minor: 10479,
        refunded_minor: 10479,
        paid_at: '2026-11-25T10:01:00.000Z',
        completed_at: '2026-11-25T11:00:00.000Z',
        cancelled_at: '2026-11-25T11:40:00.000Z',
      },
    ]);
  });
});
