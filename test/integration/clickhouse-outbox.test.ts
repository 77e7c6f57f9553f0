import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBatchJob } from '../../src/batch/batch-job';
import { migrateSqlite } from '../../src/store/sqlite/sqlite-migrate';
import { orderEvent, sendOrder } from '../support/shop';
import { storeBeforeMigration } from '../support/store-before-migration';
import { createTenant, startTestApp, type Tenant, type TestApp } from '../support/test-app';

/**
 * The outbox numbers its rows max(seq) + 1 (no AUTOINCREMENT since migration 0012): the export's
 * cursor only works if that never goes back below what a ClickHouse target has taken.
 */
describe('ClickHouse outbox sequence', () => {
  let t: TestApp;
  let tenant: Tenant;
  beforeAll(async () => {
    t = await startTestApp({}, { clickhouse: true });
    tenant = await createTenant(t);
  }, 60_000);
  afterAll(async () => t?.close());

  const outbox = () => t.store.raw.prepare('SELECT seq, stream, row_id FROM clickhouse_outbox ORDER BY seq').all();
  const order = async (id: string) =>
    expect(
      (await sendOrder(t, tenant.merchant.webhookSecret, orderEvent(tenant.program.id, 'order.created', { id }))).status,
    ).toBe(200);
  const ordersInClickHouse = async () => {
    const ch = t.deps.reports!.clickhouse;
    const [row] = await ch.query('SELECT uniqExact(order_id) AS n FROM orders_v1', {}, z.object({ n: z.coerce.number() }));
    return row!.n;
  };

  it('keeps the newest row when pruning, so orders after a full export are numbered above it and exported', async () => {
    await order('A-1');
    await order('A-2');
    const first = await runBatchJob(t.deps, t.clock.now());
    expect(first.export).toMatchObject({ orders: 2, mismatches: 0 });
    const kept = outbox();
    expect(kept).toHaveLength(1); // everything was taken; the newest row holds the sequence's place
    const keptSeq = (kept[0] as { seq: number }).seq;

    await order('A-3');
    expect((outbox().at(-1) as { seq: number }).seq).toBe(keptSeq + 1);
    const second = await runBatchJob(t.deps, t.clock.now());
    expect(second.export).toMatchObject({ orders: 1, mismatches: 0 });
    expect(await ordersInClickHouse()).toBe(3);
  });
});

describe('migration 0012 (outbox without AUTOINCREMENT)', () => {
  it('keeps numbering above what the targets have taken when the outbox was pruned empty', () => {
    const db = storeBeforeMigration('0012');
    const insert = db.prepare("INSERT INTO clickhouse_outbox (stream, row_id) VALUES ('order', 7)");
    for (let i = 0; i < 5; i++) insert.run();
    db.exec(`INSERT INTO clickhouse_exports (target, stream, exported_through) VALUES ('a', 'outbox', 5), ('b', 'outbox', 5);
             DELETE FROM clickhouse_outbox`);

    expect(migrateSqlite(db).applied).toContain('0012_order_intake_outbox.sql');
    expect(db.prepare('SELECT seq, stream, row_id FROM clickhouse_outbox').all()).toEqual([
      { seq: 5, stream: 'order', row_id: 0 },
    ]);
    insert.run();
    expect(db.prepare('SELECT max(seq) FROM clickhouse_outbox').pluck().get()).toBe(6);
    db.close();
  });

  it('carries rows not yet exported over with their sequence numbers', () => {
    const db = storeBeforeMigration('0012');
    const insert = db.prepare("INSERT INTO clickhouse_outbox (stream, row_id) VALUES ('ledger', 3)");
    for (let i = 0; i < 4; i++) insert.run();
    db.exec(
      "INSERT INTO clickhouse_exports (target, stream, exported_through) VALUES ('a', 'outbox', 2); DELETE FROM clickhouse_outbox WHERE seq <= 2",
    );
    migrateSqlite(db);
    expect(db.prepare('SELECT seq FROM clickhouse_outbox ORDER BY seq').pluck().all()).toEqual([3, 4]);
    insert.run();
    expect(db.prepare('SELECT max(seq) FROM clickhouse_outbox').pluck().get()).toBe(5);
    db.close();
  });
});
