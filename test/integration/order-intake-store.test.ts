import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { OrderEventType, OrderSnapshot } from '../../src/domain/order';
import type { OrderIntakeStore } from '../../src/store/order-intake-store';
import { createSqliteOrderIntake, PAYLOAD_IS_SNAPSHOT } from '../../src/store/sqlite/sqlite-order-intake';
import { openSqlite } from '../../src/store/sqlite/sqlite-open';
import { describeOrderIntakeStore } from '../shared/order-intake-store.case';

// The shared suite on the SQLite adapter; test/workers/order-intake-store.test.ts runs it on D1.
describeOrderIntakeStore('SQLite', async () => {
  const store = openSqlite({
    path: join(mkdtempSync(join(tmpdir(), 'clickledger-intake-')), 'db.sqlite'),
    synchronous: 'NORMAL',
  });
  return {
    store: createSqliteOrderIntake(store.db, store.sync, { now: () => new Date('2026-01-06T00:00:00.000Z') }),
    run: async (sql, ...params) => void store.raw.prepare(sql).run(...params),
    all: async <T>(sql: string, ...params: unknown[]) => store.raw.prepare(sql).all(...params) as T[],
  };
});

describe('SQLite order intake: one copy of a new order', () => {
  const openStore = () => {
    const store = openSqlite({
      path: join(mkdtempSync(join(tmpdir(), 'clickledger-intake-')), 'db.sqlite'),
      synchronous: 'NORMAL',
    });
    const now = '2026-01-01T00:00:00.000Z';
    store.raw.prepare(`INSERT INTO merchants (id, name, created_at) VALUES (1, 'Shop', ?)`).run(now);
    store.raw
      .prepare(
        `INSERT INTO programs (id, merchant_id, name, landing_url, allowed_domains, currency, cookie_days, lock_days, plan, status, created_at, updated_at)
         VALUES (1, 1, 'P', 'https://shop.example/', '["shop.example"]', 'EUR', 30, 0, '{"default":{"percent":"8"}}', 'active', ?, ?)`,
      )
      .run(now, now);
    return { store, intake: createSqliteOrderIntake(store.db, store.sync, { now: () => new Date('2026-01-06T00:00:00.000Z') }) };
  };
  const order = (refundedQuantity: number): OrderSnapshot => ({
    id: 'A-1',
    currency: 'EUR',
    shippingMinor: 0,
    taxMinor: 0,
    nonCashMinor: 0,
    lines: [{ sku: 'S1', quantity: 2, unitPriceMinor: 1000, discountMinor: 0, refundedQuantity }],
  });
  const record = (intake: OrderIntakeStore, type: OrderEventType, refunded: number, at: string) =>
    intake.record(
      {
        merchantId: 1,
        programId: 1,
        channel: 'webhook',
        deliveryId: `${type}-${at}`,
        type,
        occurredAt: at,
        order: order(refunded),
        contentHash: `${type}|${at}|${refunded}`,
      },
      () => ({
        method: 'none',
        reason: 'none',
        affiliateId: null,
        linkId: null,
        clickId: null,
        couponCode: null,
        held: false,
        receipt: {},
      }),
    );
  const rows = (raw: BetterSqlite3.Database) => ({
    snapshot: raw.prepare('SELECT snapshot FROM orders').pluck().get() as string,
    payloads: raw.prepare('SELECT payload FROM order_events ORDER BY occurred_at').pluck().all() as string[],
  });

  it("stores a first event's order once, as the order's snapshot, until a second event needs its own copy", async () => {
    const { store, intake } = openStore();
    await record(intake, 'order.created', 0, '2026-01-02T10:00:00.000Z');
    expect(rows(store.raw)).toEqual({ snapshot: JSON.stringify(order(0)), payloads: [PAYLOAD_IS_SNAPSHOT] });
    await record(intake, 'order.completed', 1, '2026-01-03T10:00:00.000Z');
    expect(rows(store.raw)).toEqual({
      snapshot: JSON.stringify(order(1)),
      payloads: [JSON.stringify(order(0)), JSON.stringify(order(1))],
    });
    await store.close();
  });

  it('stores the payload itself when the snapshot differs from the event (a refund naming no quantity)', async () => {
    const { store, intake } = openStore();
    await record(intake, 'order.refunded', 0, '2026-01-02T10:00:00.000Z');
    expect(rows(store.raw)).toEqual({ snapshot: JSON.stringify(order(2)), payloads: [JSON.stringify(order(0))] });
    await store.close();
  });
});
