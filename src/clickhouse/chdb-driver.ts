import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Session } from 'chdb';
import type { z } from 'zod';
import {
  type ClickHouse,
  ClickHouseError,
  classifyClickHouseCode,
  DATABASE_NAME,
  parseRows,
  type QueryOptions,
  type QueryParams,
} from './clickhouse';

/**
 * chDB opens one data directory per process, and only one process may hold it (the engine
 * locks `status`). So sessions are shared per path inside the process, reference-counted, and
 * every statement on a session runs in turn: `USE` is session state, and several databases
 * (one per test app) may share a path.
 */
interface SharedSession {
  session: Session;
  users: number;
  currentDatabase: string | null;
  queue: Promise<unknown>;
}

const sessions = new Map<string, SharedSession>();

function openShared(path: string): SharedSession {
  const existing = sessions.get(path);
  if (existing) {
    existing.users++;
    return existing;
  }
  const [other] = sessions.keys();
  if (other !== undefined) {
    throw new ClickHouseError('locked', `chDB opens one data directory per process: ${other} is open, so ${path} cannot be`);
  }
  mkdirSync(path, { recursive: true });
  let session: Session;
  try {
    session = new Session(path);
  } catch (error) {
    throw new ClickHouseError(
      'locked',
      `the ClickHouse data under ${path} cannot be opened: another process holds it (a running clickledger server?). ` +
        `Stop that process, or use its API (POST /v1/admin/batch, GET /v1/reports/reconciliation) instead. ` +
        `(${error instanceof Error ? error.message : String(error)})`,
    );
  }
  const shared: SharedSession = { session, users: 1, currentDatabase: null, queue: Promise.resolve() };
  sessions.set(path, shared);
  return shared;
}

function translate(error: unknown): ClickHouseError {
  if (error instanceof ClickHouseError) return error;
  const e = error as { clickhouseCode?: number; message?: string };
  const message = e?.message ?? String(error);
  return new ClickHouseError(classifyClickHouseCode(e?.clickhouseCode), message, e?.clickhouseCode);
}

export function openChdb(options: { path: string; database: string }): ClickHouse {
  if (!DATABASE_NAME.test(options.database)) throw new ClickHouseError('query', `not a database name: ${options.database}`);
  const path = resolve(options.path);
  const shared = openShared(path);
  const { database } = options;
  let closed = false;

  /** Runs `work` after everything queued on the session, in `database`. */
  function inTurn<T>(work: (session: Session) => Promise<T>): Promise<T> {
    if (closed) return Promise.reject(new ClickHouseError('unavailable', 'the ClickHouse session is closed'));
    const run = shared.queue.then(async () => {
      if (shared.currentDatabase !== database) {
        await shared.session.queryAsync(`CREATE DATABASE IF NOT EXISTS ${database}`);
        await shared.session.queryAsync(`USE ${database}`);
        // The HTTP interface quotes 64-bit integers by default; chDB does not. Same rows either way.
        await shared.session.queryAsync('SET output_format_json_quote_64bit_integers = 1');
        shared.currentDatabase = database;
      }
      return work(shared.session);
    });
    shared.queue = run.catch(() => undefined);
    return run.catch((error: unknown) => {
      throw translate(error);
    });
  }

  return {
    kind: 'chdb',
    database,
    command: (sql, params = {}) => inTurn(async (s) => void (await s.queryBindAsync(sql, params))),
    insert: (table, rows, dedupToken) =>
      inTurn(async (s) => {
        if (rows.length === 0) return;
        const body = rows.map((row) => JSON.stringify(row)).join('\n');
        await s.insert({
          table: `${database}.${table}`,
          values: Buffer.from(body),
          format: 'JSONEachRow',
          settings: { insert_deduplication_token: dedupToken, deduplicate_blocks_in_dependent_materialized_views: 1 },
        });
      }),
    query: <T extends z.ZodType>(sql: string, params: QueryParams, row: T, queryOptions: QueryOptions = {}) =>
      inTurn(async (s) => {
        const limit = queryOptions.maxExecutionSeconds;
        if (limit !== undefined) await s.queryAsync(`SET max_execution_time = ${Math.max(1, Math.floor(limit))}`);
        try {
          const text = (await s.queryBindAsync(sql, params, { format: 'JSONEachRow' })).text();
          return parseRows(text, row);
        } finally {
          if (limit !== undefined) await s.queryAsync('SET max_execution_time = 0');
        }
      }),
    async close() {
      if (closed) return;
      closed = true;
      await shared.queue;
      if (--shared.users === 0) {
        sessions.delete(path);
        shared.session.close();
      }
    },
  };
}
