import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite } from '../../src/store/sqlite/sqlite-open';
import { describeAtomicWrites } from '../shared/atomic-writes.case';

// The shared unit-of-work suite on SQLite (one transaction); test/workers runs it on D1.
describeAtomicWrites('SQLite', async () => {
  const store = openSqlite({
    path: join(mkdtempSync(join(tmpdir(), 'clickledger-writes-')), 'db.sqlite'),
    synchronous: 'NORMAL',
  });
  return { db: store.db, writes: store.writes };
});
