import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from '../database';
import { migrateSqlite, type MigrationReport } from './migrate';

export type SqliteSynchronous = 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA';

export interface OpenSqliteOptions {
  path: string;
  /**
   * WAL with NORMAL survives any crash of the process (P1, P24) but not a power loss;
   * FULL adds an fsync per commit for that. See README "Durability".
   */
  synchronous: SqliteSynchronous;
}

export interface SqliteStore {
  raw: BetterSqlite3.Database;
  db: Kysely<Database>;
  migrations: MigrationReport;
  close(): Promise<void>;
}

export function openSqlite(options: OpenSqliteOptions): SqliteStore {
  mkdirSync(dirname(options.path), { recursive: true });
  const raw = new BetterSqlite3(options.path);
  raw.pragma('journal_mode = WAL');
  raw.pragma(`synchronous = ${options.synchronous}`);
  raw.pragma('foreign_keys = ON');
  raw.pragma('busy_timeout = 5000');
  const migrations = migrateSqlite(raw);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: raw }) });
  let closed = false;
  return {
    raw,
    db,
    migrations,
    async close() {
      if (closed) return;
      closed = true;
      // Kysely's destroy closes the better-sqlite3 handle too.
      await db.destroy();
    },
  };
}
