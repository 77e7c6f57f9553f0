import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, type SqliteDatabase, SqliteDialect } from 'kysely';
import type { AtomicWrites } from '../atomic-writes';
import type { Database } from '../database';
import type { RowReader } from '../row-reader';
import { startBackgroundCheckpoint } from './sqlite-background-checkpoint';
import { migrateSqlite, type MigrationReport } from './sqlite-migrate';
import { sqliteAtomicWrites } from './sqlite-atomic-writes';
import { sqliteRowReader } from './sqlite-row-reader';
import { createSyncQueries, type PrepareStatement, type SyncQueries } from './sqlite-sync-queries';

export type SqliteSynchronous = 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA';

export interface OpenSqliteOptions {
  path: string;
  /**
   * WAL with NORMAL survives any crash of the process (P1, P24) but not a power loss;
   * FULL adds an fsync per commit for that. See docs/operations.md, "Durability".
   */
  synchronous: SqliteSynchronous;
  /**
   * 'inline': SQLite's automatic checkpoints on the writing connection (tests, CLIs).
   * 'background': a worker thread checkpoints, keeping the stall off the event loop (the server).
   */
  checkpoint?: 'inline' | 'background';
  onCheckpointError?: (message: string) => void;
}

export interface SqliteStore {
  raw: BetterSqlite3.Database;
  db: Kysely<Database>;
  sync: SyncQueries;
  /** The commission batch's unit of work (and any other write-only one) on this store. */
  writes: AtomicWrites;
  /** Large reads as arrays (the payout CSV). */
  rows: RowReader;
  migrations: MigrationReport;
  close(): Promise<void>;
}

const STATEMENT_CACHE_SIZE = 1000;

/**
 * Kysely prepares every query anew; with better-sqlite3 that preparation cost as much as running
 * the query. Kysely builds the same SQL text for the same query shape, so statements are cached
 * by text. A statement still being iterated (a stream) is never handed out twice.
 */
function statementCache(raw: BetterSqlite3.Database): PrepareStatement {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return (sql: string) => {
    const cached = cache.get(sql);
    if (cached && !cached.busy) return cached;
    const statement = raw.prepare(sql);
    if (cache.size >= STATEMENT_CACHE_SIZE) cache.clear();
    cache.set(sql, statement);
    return statement;
  };
}

export function openSqlite(options: OpenSqliteOptions): SqliteStore {
  mkdirSync(dirname(options.path), { recursive: true });
  const raw = new BetterSqlite3(options.path);
  raw.pragma('journal_mode = WAL');
  raw.pragma(`synchronous = ${options.synchronous}`);
  raw.pragma('foreign_keys = ON');
  raw.pragma('busy_timeout = 5000');
  const checkpoint =
    options.checkpoint === 'background'
      ? (raw.pragma('wal_autocheckpoint = 0'), startBackgroundCheckpoint(options.path, options.onCheckpointError ?? (() => {})))
      : undefined;
  const migrations = migrateSqlite(raw);
  const prepare = statementCache(raw);
  const database = { prepare, close: () => raw.close() } as unknown as SqliteDatabase;
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  const sync = createSyncQueries(raw, prepare);
  let closed = false;
  return {
    raw,
    db,
    sync,
    writes: sqliteAtomicWrites(sync, prepare),
    rows: sqliteRowReader(prepare),
    migrations,
    async close() {
      if (closed) return;
      closed = true;
      await checkpoint?.stop();
      // Kysely's destroy closes the better-sqlite3 handle too.
      await db.destroy();
    },
  };
}
