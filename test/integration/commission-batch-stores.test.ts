import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteOrderIntake } from '../../src/store/sqlite/sqlite-order-intake';
import { openSqlite } from '../../src/store/sqlite/sqlite-open';
import { describeCommissionBatch } from '../shared/commission-batch.case';

// The shared batch suite on SQLite (a synchronous transaction per chunk); test/workers runs it on D1.
describeCommissionBatch('SQLite', async () => {
  const store = openSqlite({ path: join(mkdtempSync(join(tmpdir(), 'clickledger-batch-')), 'db.sqlite'), synchronous: 'NORMAL' });
  return {
    db: store.db,
    writes: store.writes,
    rows: store.rows,
    intake: createSqliteOrderIntake(store.db, store.sync, { now: () => new Date('2026-01-04T00:00:00.000Z') }),
    run: async (sql, ...params) => void store.raw.prepare(sql).run(...params),
    all: async <T>(sql: string, ...params: unknown[]) => store.raw.prepare(sql).all(...params) as T[],
  };
});
