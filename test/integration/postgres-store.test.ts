import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POSTGRES_MIGRATIONS_DIR } from '../../src/store/postgres/postgres-migrate';
import { LEASES, withLease } from '../../src/store/postgres/postgres-lease';
import { openPostgres, type PostgresStore } from '../../src/store/postgres/postgres-open';
import {
  hasPostgres,
  type PostgresCluster,
  postgresForFile,
  postgresSkipReason,
  startPostgresCluster,
} from '../support/postgres-cluster';

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

describe.skipIf(!hasPostgres)(`PostgreSQL leases${postgresSkipReason ? ` (${postgresSkipReason})` : ''}`, () => {
  const postgres = postgresForFile(afterAll);

  it('lets one instance run at a time, and a killed holder loses the lease', async () => {
    const url = await postgres.database();
    const [a, b] = await Promise.all([openPostgres({ url, maxConnections: 3 }), openPostgres({ url, maxConnections: 3 })]);
    let release!: () => void;
    const holding = new Promise<void>((resolve) => (release = resolve));
    const first = withLease(a.pool, LEASES.batch, async () => {
      await holding;
      return 'a ran';
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await withLease(b.pool, LEASES.batch, async () => 'b ran')).toBeUndefined();
    release();
    expect(await first).toBe('a ran');
    expect(await withLease(b.pool, LEASES.batch, async () => 'b ran')).toBe('b ran');
    // A holder whose connections all close (a killed process) frees the lease.
    const stuck = withLease(a.pool, LEASES.batch, () => new Promise<never>(() => {}));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await withLease(b.pool, LEASES.batch, async () => 'b ran')).toBeUndefined();
    const terminated = await b.pool.query(
      "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = $1",
      [LEASES.batch[1]],
    );
    expect(terminated.rowCount).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await withLease(b.pool, LEASES.batch, async () => 'b ran')).toBe('b ran');
    void stuck;
    await Promise.all([a.close().catch(() => {}), b.close()]);
  });
});
