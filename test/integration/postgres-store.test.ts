import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POSTGRES_MIGRATIONS_DIR } from '../../src/store/postgres/postgres-migrate';
import { openPostgres, type PostgresStore } from '../../src/store/postgres/postgres-open';
import { hasPostgres, type PostgresCluster, postgresSkipReason, startPostgresCluster } from '../support/postgres-cluster';

const files = readdirSync(POSTGRES_MIGRATIONS_DIR)
  .filter((f) => f.endsWith('.sql'))
  .sort();

// The PostgreSQL store's own start: migrations applied once, under a lock, by instances that start together.
describe.skipIf(!hasPostgres)(`PostgreSQL store start${postgresSkipReason ? ` (${postgresSkipReason})` : ''}`, () => {
  let cluster: PostgresCluster;
  beforeAll(async () => {
    cluster = await startPostgresCluster();
  });
  afterAll(() => cluster?.stop());

  it('applies the schema once when four instances start together, and a restart applies nothing', async () => {
    const url = await cluster.createDatabase();
    const stores: PostgresStore[] = await Promise.all([1, 2, 3, 4].map(() => openPostgres({ url, maxConnections: 2 })));
    const applied = stores.map((s) => s.migrations.applied.length).sort();
    expect(applied).toEqual([0, 0, 0, files.length]);
    const again = await openPostgres({ url, maxConnections: 1 });
    expect(again.migrations).toEqual({ applied: [], alreadyApplied: files.length });
    const rows = await again.db.selectFrom('schema_migrations').select('name').orderBy('name').execute();
    expect(rows.map((r) => r.name)).toEqual(files);
    expect(files[0]).toBe('0001_schema.sql');
    await Promise.all([...stores, again].map((s) => s.close()));
  });

  it('reads integers as numbers and says a taken key as SQLite does', async () => {
    const store = await openPostgres({ url: await cluster.createDatabase(), maxConnections: 2 });
    await store.db.insertInto('merchants').values({ id: 1, name: 'M', created_at: '2026-01-01T00:00:00.000Z' }).execute();
    const { n } = await store.db
      .selectFrom('merchants')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(n).toBe(1);
    await expect(
      store.db.insertInto('merchants').values({ id: 1, name: 'M', created_at: '2026-01-01T00:00:00.000Z' }).execute(),
    ).rejects.toThrow(/UNIQUE constraint failed: merchants.id/);
    await store.close();
  });
});
