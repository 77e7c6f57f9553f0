import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite } from '../../src/store/sqlite/sqlite-open';
import { describePayoutCsvPages } from '../shared/payout-csv-pages.case';

// The shared CSV paging suite on SQLite; test/workers runs it on D1.
describePayoutCsvPages('SQLite', async () => {
  const store = openSqlite({ path: join(mkdtempSync(join(tmpdir(), 'clickledger-csv-')), 'db.sqlite'), synchronous: 'NORMAL' });
  return { db: store.db, writes: store.writes, rows: store.rows };
});
