import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCommissionBatch } from '../../src/batch/commission-batch';
import type { OrderEventType, OrderSnapshot } from '../../src/domain/order';
import { createSqliteOrderIntake } from '../../src/store/sqlite/sqlite-order-intake';
import { openSqlite } from '../../src/store/sqlite/sqlite-open';
import { prng } from '../support/prng';

/**
 * The incremental batch finds the orders a change moved into another tier from the tier marks
 * alone (src/batch/month-sales.ts). Random histories of tiered affiliate-months (late orders
 * placed before ones already batched, cancellations, partial refunds, completions), batched
 * after every few events, must end where one batch over the final state ends: the same
 * commission for every order, to the cent.
 */
const CREATED = '2026-01-01T00:00:00.000Z';
const PLAN = JSON.stringify({
  default: { percent: '5' },
  tiers: [
    { monthlySalesOver: '150.00', percent: '10' },
    { monthlySalesOver: '400.00', percent: '12.5' },
  ],
});

function openStore(clock: { now(): Date }) {
  const store = openSqlite({ path: join(mkdtempSync(join(tmpdir(), 'clickledger-tiers-')), 'db.sqlite'), synchronous: 'OFF' });
  const run = (sql: string, ...params: unknown[]) => store.raw.prepare(sql).run(...params);
  run(`INSERT INTO merchants (id, name, created_at) VALUES (7, 'Tier Shop', ?)`, CREATED);
  for (const affiliate of [7, 8]) {
    run(`INSERT INTO affiliates (id, name, created_at) VALUES (?, 'Affiliate', ?)`, affiliate, CREATED);
  }
  run(
    `INSERT INTO programs (id, merchant_id, name, landing_url, allowed_domains, currency, cookie_days, lock_days, plan, status, created_at, updated_at)
     VALUES (8, 7, 'T', 'https://shop.example/', '["shop.example"]', 'EUR', 30, 0, ?, 'active', ?, ?)`,
    PLAN,
    CREATED,
    CREATED,
  );
  run(
    `INSERT INTO plan_versions (program_id, version, plan, effective_from, created_at) VALUES (8, 1, ?, '1970-01-01T00:00:00.000Z', ?)`,
    PLAN,
    CREATED,
  );
  return { store, intake: createSqliteOrderIntake(store.db, store.sync, clock) };
}

type Store = ReturnType<typeof openStore>;

const commissions = (s: Store) =>
  s.store.raw
    .prepare(
      `SELECT o.external_id AS id, coalesce(sum(l.amount_minor), 0) AS minor FROM orders o
       LEFT JOIN ledger_entries l ON l.order_id = o.id GROUP BY o.id ORDER BY o.external_id`,
    )
    .all() as { id: string; minor: number }[];

describe('tier marks (property)', () => {
  it.each([11, 23, 47, 97])('incremental runs end where one clean run does (seed %i)', async (seed) => {
    const rand = prng(seed);
    const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
    let now = Date.parse('2026-03-01T00:00:00.000Z');
    const clock = { now: () => new Date(now) };
    const incremental = openStore(clock);
    const clean = openStore(clock);

    const orders: { snapshot: OrderSnapshot; affiliate: number; cancelled: boolean }[] = [];
    let deliveries = 0;
    const send = async (o: (typeof orders)[number], type: OrderEventType) => {
      now += 1000;
      const delivery = ++deliveries;
      for (const s of [incremental, clean]) {
        await s.intake.record(
          {
            merchantId: 7,
            programId: 8,
            channel: 'webhook',
            deliveryId: `d${delivery}`,
            type,
            occurredAt: new Date(now).toISOString(),
            order: o.snapshot,
            contentHash: `h${delivery}`,
          },
          () => ({
            method: 'click',
            reason: 'click',
            affiliateId: o.affiliate,
            linkId: null,
            clickId: null,
            couponCode: null,
            held: false,
            receipt: {},
          }),
        );
      }
    };

    let runs = 0;
    for (let step = 0; step < 70; step++) {
      const roll = rand();
      if (orders.length < 4 || roll < 0.45) {
        // A new order, placed anywhere in January or February: often before orders already batched.
        const placedAt = new Date(Date.parse('2026-01-01T00:00:00.000Z') + int(0, 58 * 86_400) * 1000).toISOString();
        const o = {
          affiliate: int(7, 8),
          cancelled: false,
          snapshot: {
            id: `T-${String(orders.length).padStart(3, '0')}`,
            currency: 'EUR',
            placedAt,
            shippingMinor: 0,
            taxMinor: 0,
            nonCashMinor: 0,
            lines: [
              { sku: 'S1', quantity: int(1, 3), unitPriceMinor: int(2000, 12_000), discountMinor: 0, refundedQuantity: 0 },
              { sku: 'S2', quantity: 1, unitPriceMinor: int(500, 6000), discountMinor: 0, refundedQuantity: 0 },
            ],
          } as OrderSnapshot,
        };
        orders.push(o);
        await send(o, 'order.paid');
      } else {
        const o = orders[int(0, orders.length - 1)]!;
        if (o.cancelled) continue;
        if (roll < 0.6) {
          o.cancelled = true;
          await send(o, 'order.cancelled');
        } else if (roll < 0.8 && o.snapshot.lines[0]!.refundedQuantity < o.snapshot.lines[0]!.quantity) {
          const [first, ...rest] = o.snapshot.lines;
          o.snapshot = { ...o.snapshot, lines: [{ ...first!, refundedQuantity: first!.refundedQuantity + 1 }, ...rest] };
          await send(o, 'order.refunded');
        } else {
          await send(o, 'order.completed');
        }
      }
      if (step % 3 === 2) {
        now += 1000;
        await runCommissionBatch(incremental.store, new Date(now));
        runs++;
      }
    }
    now += 1000;
    await runCommissionBatch(incremental.store, new Date(now));
    const last = await runCommissionBatch(incremental.store, new Date(now));
    await runCommissionBatch(clean.store, new Date(now));

    expect(runs).toBeGreaterThan(15);
    expect(last.entriesAppended).toBe(0);
    const expected = commissions(clean);
    // Tiers were reached, so the month sales mattered: some orders earn above the default 5 %.
    const rules = clean.store.raw.prepare(`SELECT DISTINCT rule FROM ledger_entries WHERE rule LIKE 'tiers%'`).pluck().all();
    expect(rules.length).toBeGreaterThan(0);
    expect(commissions(incremental)).toEqual(expected);
    // Every order ends with a mark, so later runs can take the marks' way.
    const marks = incremental.store.raw.prepare('SELECT count(*) FROM commission_tier_marks').pluck().get();
    expect(marks).toBe(orders.length);
    await incremental.store.close();
    await clean.store.close();
  });
});
