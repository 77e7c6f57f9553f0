import { afterAll, describe, it } from 'vitest';
import { openPostgres, type PostgresStore } from '../../src/store/postgres/postgres-open';
import { createPostgresOrderIntake } from '../../src/store/postgres/postgres-order-intake';
import { positional } from '../../src/store/postgres/postgres-errors';
import { describeAtomicWrites } from '../shared/atomic-writes.case';
import { describeCommissionBatch } from '../shared/commission-batch.case';
import { describeOrderIntakeStore } from '../shared/order-intake-store.case';
import { describePayoutCsvPages } from '../shared/payout-csv-pages.case';
import { describeRowReader } from '../shared/row-reader.case';
import { hasPostgres, postgresForFile, postgresSkipReason } from '../support/postgres-cluster';

// The shared store suites on PostgreSQL, each on its own database of one throw-away cluster;
// the same suites run on SQLite (beside this file) and on D1 (test/workers).
if (hasPostgres) {
  const postgres = postgresForFile(afterAll);
  const stores: PostgresStore[] = [];
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
  });
  const open = async () => {
    const store = await openPostgres({ url: await postgres.database(), maxConnections: 4 });
    stores.push(store);
    return store;
  };
  describeAtomicWrites('PostgreSQL', open);
  describeRowReader('PostgreSQL', open);
  describePayoutCsvPages('PostgreSQL', open);
  // The harnesses' raw SQL is written with SQLite's `?`.
  const raw = (store: PostgresStore, now: string) => ({
    intake: createPostgresOrderIntake(store.pool, { now: () => new Date(now) }),
    run: async (sql: string, ...params: unknown[]) => void (await store.pool.query(positional(sql), params)),
    all: async <T>(sql: string, ...params: unknown[]) => (await store.pool.query(positional(sql), params)).rows as T[],
  });
  describeOrderIntakeStore('PostgreSQL', async () => {
    const { intake, run, all } = raw(await open(), '2026-01-06T00:00:00.000Z');
    return { store: intake, run, all };
  });
  // The batch's SQLite functions (json_each, json_extract) run through postgres-sqlite-functions.ts.
  describeCommissionBatch('PostgreSQL', async () => {
    const store = await open();
    return { db: store.db, writes: store.writes, rows: store.rows, ...raw(store, '2026-01-04T00:00:00.000Z') };
  });
} else {
  describe('shared store suites on PostgreSQL', () => it.skip(postgresSkipReason!, () => {}));
}
