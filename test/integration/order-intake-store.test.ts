import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteOrderIntake } from '../../src/store/sqlite/sqlite-order-intake';
import { openSqlite } from '../../src/store/sqlite/open-sqlite';
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
