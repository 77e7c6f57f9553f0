import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { migrateSqlite, SQLITE_MIGRATIONS_DIR } from '../../src/store/sqlite/sqlite-migrate';

/**
 * An in-memory store as an older release left it: migrated up to, not including, the migration
 * whose name starts with `first`. `migrateSqlite(db)` then applies the rest, as an upgrade does.
 */
export function storeBeforeMigration(first: string): BetterSqlite3.Database {
  const dir = mkdtempSync(join(tmpdir(), 'clickledger-migrations-'));
  try {
    for (const name of readdirSync(SQLITE_MIGRATIONS_DIR)) {
      if (name.endsWith('.sql') && name < first) copyFileSync(new URL(name, SQLITE_MIGRATIONS_DIR), join(dir, name));
    }
    const db = new BetterSqlite3(':memory:');
    migrateSqlite(db, pathToFileURL(`${dir}/`));
    return db;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
