import type { z } from 'zod';
import {
  type ClickHouse,
  ClickHouseError,
  classifyClickHouseCode,
  DATABASE_NAME,
  type QueryOptions,
  type QueryParams,
  validateRow,
} from './clickhouse';

/**
 * The part of `@clickhouse/client` (Node) and `@clickhouse/client-web` (Workers) we use: both
 * export `createClient` with this shape, so one driver serves both runtimes.
 */
interface ResultSetLike {
  json<T>(): Promise<T>;
}
export interface ClickHouseClientLike {
  command(params: { query: string; query_params?: Record<string, unknown> }): Promise<unknown>;
  insert(params: {
    table: string;
    values: readonly object[];
    format: 'JSONEachRow';
    clickhouse_settings?: Record<string, unknown>;
  }): Promise<unknown>;
  query(params: {
    query: string;
    query_params?: Record<string, unknown>;
    format: 'JSONEachRow';
    clickhouse_settings?: Record<string, unknown>;
  }): Promise<ResultSetLike>;
  close(): Promise<void>;
}
export type CreateClickHouseClient = (options: {
  url: string;
  database: string;
  username?: string;
  password?: string;
  request_timeout?: number;
  clickhouse_settings?: Record<string, unknown>;
  log?: { level: number };
}) => ClickHouseClientLike;

export interface HttpClickHouseOptions {
  url: string;
  database: string;
  username?: string;
  password?: string;
}

function translate(error: unknown): ClickHouseError {
  if (error instanceof ClickHouseError) return error;
  const e = error as { code?: string; message?: string; type?: string };
  const message = e?.message ?? String(error);
  // The server's errors carry its numeric code; anything else never reached ClickHouse.
  const code = e?.code !== undefined && /^[0-9]+$/.test(e.code) ? Number(e.code) : undefined;
  if (code === undefined) return new ClickHouseError('unavailable', `ClickHouse is unreachable: ${message}`);
  return new ClickHouseError(classifyClickHouseCode(code), message, code);
}

/** ClickHouse over HTTP: a server or a cluster when CLICKHOUSE_URL is set. */
export async function openHttpClickHouse(
  options: HttpClickHouseOptions,
  createClient: CreateClickHouseClient,
): Promise<ClickHouse> {
  const { database } = options;
  if (!DATABASE_NAME.test(database)) throw new ClickHouseError('query', `not a database name: ${database}`);
  const common = {
    url: options.url,
    username: options.username,
    password: options.password,
    request_timeout: 60_000,
    clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
    // Off (127): every failure reaches the caller as a ClickHouseError and is logged, or said, there
    // once; the client's own log would print it again first, with a stack trace.
    log: { level: 127 },
  };
  // The client names its database on every request, so the database must exist before it is used.
  const bootstrap = createClient({ ...common, database: 'default' });
  try {
    await bootstrap.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  } catch (error) {
    throw translate(error);
  } finally {
    await bootstrap.close();
  }
  const client = createClient({ ...common, database });
  const guarded = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw translate(error);
    }
  };
  return {
    kind: 'http',
    database,
    command: (query, params = {}) => guarded(async () => void (await client.command({ query, query_params: params }))),
    insert: (table, rows, dedupToken) =>
      guarded(async () => {
        if (rows.length === 0) return;
        await client.insert({
          table,
          values: rows,
          format: 'JSONEachRow',
          clickhouse_settings: { insert_deduplication_token: dedupToken, deduplicate_blocks_in_dependent_materialized_views: 1 },
        });
      }),
    query: <T extends z.ZodType>(query: string, params: QueryParams, row: T, queryOptions: QueryOptions = {}) =>
      guarded(async () => {
        const settings = queryOptions.maxExecutionSeconds
          ? { max_execution_time: Math.max(1, Math.floor(queryOptions.maxExecutionSeconds)) }
          : {};
        const result = await client.query({ query, query_params: params, format: 'JSONEachRow', clickhouse_settings: settings });
        const rows = await result.json<unknown[]>();
        return rows.map((r) => validateRow(r, row));
      }),
    close: () => client.close(),
  };
}
