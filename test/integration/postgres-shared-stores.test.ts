import { afterAll, describe, it } from 'vitest';
import { openPostgres, type PostgresStore } from '../../src/store/postgres/postgres-open';
import { describeAtomicWrites } from '../shared/atomic-writes.case';
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
} else {
  describe('shared store suites on PostgreSQL', () => it.skip(postgresSkipReason!, () => {}));
}
