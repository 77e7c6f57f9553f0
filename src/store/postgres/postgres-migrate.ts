import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { Pool } from 'pg';
import type { MigrationReport } from '../sqlite/sqlite-migrate';

export const POSTGRES_MIGRATIONS_DIR = new URL('../../../sql/postgres/', import.meta.url);

/** pg_advisory_lock's key for migrations ("clkl", 1): any constant no other lock of ours uses. */
export const MIGRATION_LOCK: readonly [number, number] = [0x636c6b6c, 1];

/**
 * Applies `sql/postgres/*.sql` in name order, each in its own transaction, under a session
 * advisory lock: instances starting together take turns, and the second finds the work done.
 * As on SQLite, a file whose text changed after it ran stops start-up.
 */
export async function migratePostgres(pool: Pool, dir: URL = POSTGRES_MIGRATIONS_DIR): Promise<MigrationReport> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1, $2)', [...MIGRATION_LOCK]);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        name TEXT COLLATE "C" PRIMARY KEY, checksum TEXT NOT NULL, applied_at TEXT NOT NULL)`);
      const done = new Map(
        (await client.query<{ name: string; checksum: string }>('SELECT name, checksum FROM schema_migrations')).rows.map(
          (row) => [row.name, row.checksum],
        ),
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
        await client.query('BEGIN');
        try {
          await client.query(text);
          await client.query('INSERT INTO schema_migrations (name, checksum, applied_at) VALUES ($1, $2, $3)', [
            name,
            checksum,
            new Date().toISOString(),
          ]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw new Error(`migration ${name} failed: ${String(error)}`, { cause: error });
        }
        report.applied.push(name);
      }
      return report;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1, $2)', [...MIGRATION_LOCK]);
    }
  } finally {
    client.release();
  }
}
