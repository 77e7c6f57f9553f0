import { join } from 'node:path';
import { readConfig } from '../runtime/config';
import { openSqlite } from '../store/sqlite/sqlite-open';
import { ownDataDir, runCommand } from './command';

/** `npm run migrate`: applies pending SQL migrations to the store under DATA_DIR and says what it did. */
const spec = {
  invocation: 'npm run migrate --',
  description:
    'Applies the pending migrations in sql/sqlite/ to the store under DATA_DIR and lists them. The server\n' +
    'applies them itself at every start; this is for upgrading a store before starting a new version.',
  options: {},
} as const;

await runCommand(spec, async () => {
  const config = readConfig(process.env);
  ownDataDir(config, spec, 'restart it: the server applies pending migrations at start');
  const path = join(config.DATA_DIR, 'clickledger.sqlite');
  const store = openSqlite({ path, synchronous: config.SQLITE_SYNCHRONOUS });
  const { applied, alreadyApplied } = store.migrations;
  for (const name of applied) console.log(`applied ${name}`);
  console.log(`${path}: ${applied.length} applied now, ${alreadyApplied} already applied`);
  await store.close();
});
