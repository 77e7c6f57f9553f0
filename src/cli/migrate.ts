import { join } from 'node:path';
import { ConfigError, readConfig } from '../runtime/config';
import { openSqlite } from '../store/sqlite/sqlite-open';

/** `npm run migrate`: applies pending SQL migrations to the store under DATA_DIR and says what it did. */
try {
  const config = readConfig(process.env);
  const path = join(config.DATA_DIR, 'clickledger.sqlite');
  const store = openSqlite({ path, synchronous: config.SQLITE_SYNCHRONOUS });
  const { applied, alreadyApplied } = store.migrations;
  for (const name of applied) console.log(`applied ${name}`);
  console.log(`${path}: ${applied.length} applied now, ${alreadyApplied} already applied`);
  await store.close();
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}
