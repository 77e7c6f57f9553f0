import type { Kysely } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCommissionBatch } from '../../src/batch/commission-batch';
import type { OrderEventType } from '../../src/domain/order';
import type { AtomicWrites } from '../../src/store/atomic-writes';
import type { RowReader } from '../../src/store/row-reader';
import type { Database } from '../../src/store/database';
import type { OrderIntakeStore } from '../../src/store/order-intake-store';

/**
 * The commission batch over each store's unit of work (SQLite: a transaction; D1: batch()):
 * the same orders give the same ledger, a re-run appends nothing (P9), and a run big enough to
 * need many statements per chunk stays under D1's 100 bound values per statement.
 */
export interface BatchHarness {
  db: Kysely<Database>;
  writes: AtomicWrites;
  rows: RowReader;
  intake: OrderIntakeStore;
  run(sql: string, ...params: unknown[]): Promise<void>;
  all<T>(sql: string, ...params: unknown[]): Promise<T[]>;
  /** Statements per committed unit of work, where the store can count them (D1's batch()). */
  statementsPerCommit?: number[];
}

const NOW = '2026-01-01T00:00:00.000Z';
const ORDERS = 150;

/** A program of merchant 7 with one plan version in force since 1970. */
async function insertProgram(h: BatchHarness, id: number, name: string, plan: object) {
  const text = JSON.stringify(plan);
  await h.run(
    `INSERT INTO programs (id, merchant_id, name, landing_url, allowed_domains, currency, cookie_days, lock_days, plan, status, created_at, updated_at)
     VALUES (?, 7, ?, 'https://shop.example/', '["shop.example"]', 'EUR', 30, 0, ?, 'active', ?, ?)`,
    id,
    name,
    text,
    NOW,
    NOW,
  );
  await h.run(
    `INSERT INTO plan_versions (program_id, version, plan, effective_from, created_at) VALUES (?, 1, ?, '1970-01-01T00:00:00.000Z', ?)`,
    id,
    text,
    NOW,
  );
}

/** One event of a 94.80 EUR order (2 × 49.90 − 5.00) attributed to affiliate 7. */
function recordEvent(h: BatchHarness, programId: number, id: string, type: OrderEventType, at: string) {
  return h.intake.record(
    {
      merchantId: 7,
      programId,
      channel: 'webhook',
      deliveryId: `${id}-${type}`,
      type,
      occurredAt: at,
      order: {
        id,
        currency: 'EUR',
        shippingMinor: 0,
        taxMinor: 0,
        nonCashMinor: 0,
        lines: [{ sku: 'S1', quantity: 2, unitPriceMinor: 4990, discountMinor: 500, refundedQuantity: 0 }],
      },
      contentHash: `${id}|${type}`,
    },
    () => ({
      method: 'click',
      reason: 'click',
      affiliateId: 7,
      linkId: null,
      clickId: null,
      couponCode: null,
      held: false,
      receipt: {},
    }),
  );
}

export function describeCommissionBatch(name: string, open: () => Promise<BatchHarness>) {
  describe(`the commission batch on ${name}`, () => {
    let h: BatchHarness;
    beforeAll(async () => {
      h = await open();
      await h.run(`INSERT INTO merchants (id, name, created_at) VALUES (7, 'Batch Shop', ?)`, NOW);
      await h.run(`INSERT INTO affiliates (id, name, created_at) VALUES (7, 'Batch Affiliate', ?)`, NOW);
      await insertProgram(h, 7, 'B', { default: { percent: '8' } });
      await h.run(
        `INSERT INTO program_affiliates (program_id, affiliate_id, status, created_at, updated_at) VALUES (7, 7, 'approved', ?, ?)`,
        NOW,
        NOW,
      );
      for (let i = 0; i < ORDERS; i++) {
        const id = `B-${i}`;
        await recordEvent(h, 7, id, 'order.created', `2026-01-02T10:00:${String(i % 60).padStart(2, '0')}.000Z`);
        if (i % 3 !== 0) await recordEvent(h, 7, id, 'order.completed', '2026-01-03T10:00:00.000Z');
      }
    });

    it('appends one accrual per order at 8 %, approves the completed ones, and a re-run appends nothing (P9)', async () => {
      const first = await runCommissionBatch(h, new Date('2026-01-10T00:00:00.000Z'));
      expect(first).toMatchObject({ ordersExamined: ORDERS, entriesAppended: ORDERS });
      const sums = await h.all<{ status: string; n: number; total: number }>(
        'SELECT status, count(*) AS n, sum(amount_minor) AS total FROM ledger_entries WHERE program_id = 7 GROUP BY status ORDER BY status',
      );
      // 2 × 49.90 − 5.00 = 94.80 EUR × 8 % = 7.584 → 7.58 EUR per order; every third order is not completed.
      expect(sums).toEqual([
        { status: 'approved', n: 100, total: 75_800 },
        { status: 'pending', n: 50, total: 37_900 },
      ]);
      // 150 entries on D1 are one JSON insert and a status update, not 38 four-row inserts.
      if (h.statementsPerCommit) expect(Math.max(...h.statementsPerCommit)).toBeLessThanOrEqual(3);
      const again = await runCommissionBatch(h, new Date('2026-01-10T00:00:00.000Z'));
      expect(again).toMatchObject({ entriesAppended: 0, statusChanges: 0 });
      expect(await h.all('SELECT count(*) AS n FROM ledger_entries WHERE program_id = 7')).toEqual([{ n: ORDERS }]);
    });

    it('moves a tiered month when an early order is cancelled, found from the tier marks', async () => {
      // 5 % while the month's sales before an order are up to 150.00, 10 % above; each order 94.80.
      await insertProgram(h, 8, 'T', { default: { percent: '5' }, tiers: [{ monthlySalesOver: '150.00', percent: '10' }] });
      const send = (id: string, type: OrderEventType, at: string) => recordEvent(h, 8, id, type, at);
      const ids = ['T-0', 'T-1', 'T-2', 'T-3'];
      for (const [i, id] of ids.entries()) await send(id, 'order.created', `2026-01-05T10:00:0${i}.000Z`);
      const amounts = async () =>
        (
          await h.all<{ total: number }>(
            `SELECT coalesce(sum(l.amount_minor), 0) AS total FROM orders o LEFT JOIN ledger_entries l ON l.order_id = o.id
             WHERE o.program_id = 8 GROUP BY o.id ORDER BY o.placed_at`,
          )
        ).map((r) => r.total);
      await runCommissionBatch(h, new Date('2026-01-10T00:00:00.000Z'));
      expect(await amounts()).toEqual([474, 474, 948, 948]);
      // Without T-0, T-2 has 94.80 before it and falls back to 5 %; T-3 stays over.
      await send('T-0', 'order.cancelled', '2026-01-06T10:00:00.000Z');
      await runCommissionBatch(h, new Date('2026-01-10T00:00:00.000Z'));
      expect(await amounts()).toEqual([0, 474, 474, 948]);
      const marks = await h.all<{ before: number; kept: number }>(
        'SELECT month_sales_before_minor AS before, kept_minor AS kept FROM commission_tier_marks WHERE program_id = 8 ORDER BY placed_at',
      );
      expect(marks).toEqual([
        { before: 0, kept: 0 },
        { before: 0, kept: 9480 },
        { before: 9480, kept: 9480 },
        { before: 18960, kept: 9480 },
      ]);
    });
  });
}
