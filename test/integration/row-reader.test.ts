import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite } from '../../src/store/sqlite/sqlite-open';
import { describeRowReader } from '../shared/row-reader.case';

// The shared RowReader suite on SQLite (raw mode on the cached statement); test/workers runs it on D1.
describeRowReader('SQLite', async () => {
  const store = openSqlite({ path: join(mkdtempSync(join(tmpdir(), 'clickledger-rows-')), 'db.sqlite'), synchronous: 'NORMAL' });
  return { db: store.db, writes: store.writes, rows: store.rows };
});
