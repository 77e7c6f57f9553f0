import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type BetterSqlite3 from 'better-sqlite3';

export const SQLITE_MIGRATIONS_DIR = new URL('../../../sql/sqlite/', import.meta.url);

export interface MigrationReport {
  applied: string[];
  alreadyApplied: number;
}

/**
 * Applies `sql/sqlite/*.sql` in name order, each in its own transaction. Applied migrations are
 * frozen: a file whose text changed after it ran stops start-up instead of drifting silently.
 * The same files serve D1 through `wrangler d1 migrations apply`.
 */
export function migrateSqlite(db: BetterSqlite3.Database, dir: URL = SQLITE_MIGRATIONS_DIR): MigrationReport {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    name TEXT PRIMARY KEY, checksum TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const done = new Map(
    (db.prepare('SELECT name, checksum FROM schema_migrations').all() as { name: string; checksum: string }[]).map((row) => [
      row.name,
      row.checksum,
    ]),
  );
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.sql'))
    .sort();
  const report: MigrationReport = { applied: [], alreadyApplied: 0 };
  for (const name of files) {
    const text = readFileSync(new URL(name, dir), 'utf8');
    const checksum = createHash('sha256').update(text).digest('hex');
    const previous = done.get(name);
    if (previous !== undefined) {
      if (previous !== checksum) {
        throw new Error(`migration ${name} was changed after it was applied; add a new migration instead`);
      }
      report.alreadyApplied++;
      continue;
    }
    db.transaction(() => {
      db.exec(text);
      db.prepare('INSERT INTO schema_migrations (name, checksum, applied_at) VALUES (?, ?, ?)').run(
        name,
        checksum,
        new Date().toISOString(),
      );
    })();
    report.applied.push(name);
  }
  return report;
}
