import type { z } from 'zod';

/** Values bound to `{name:Type}` placeholders. Never spliced into SQL text. */
export type QueryParams = Record<string, string | number | bigint | boolean | readonly (string | number)[]>;

export interface QueryOptions {
  /** Cuts a slow query on the server side (ClickHouse `max_execution_time`). */
  maxExecutionSeconds?: number;
}

/**
 * The one ClickHouse interface. Drivers: chDB in-process (the default, Node only) and the HTTP
 * client (`CLICKHOUSE_URL`, a server or cluster; the web client on Workers). Rows come back as
 * JSON with 64-bit integers quoted, and are validated with zod before anyone reads them.
 */
export interface ClickHouse {
  /** Which driver, for logs and /healthz. */
  readonly kind: 'chdb' | 'http';
  readonly database: string;
  command(sql: string, params?: QueryParams): Promise<void>;
  /**
   * JSONEachRow insert. `dedupToken` names the block: ClickHouse drops a second insert with the
   * same token (and its materialized-view rows), so a retried block changes nothing (P11).
   */
  insert(table: string, rows: readonly object[], dedupToken: string): Promise<void>;
  query<T extends z.ZodType>(sql: string, params: QueryParams, row: T, options?: QueryOptions): Promise<z.infer<T>[]>;
  close(): Promise<void>;
}

/** Where reports live: a ClickHouse, and the target id the SQL store keeps its export watermarks under. */
export interface ReportStore {
  clickhouse: ClickHouse;
  targetId: string;
}

export type ClickHouseFailure = 'timeout' | 'unavailable' | 'query' | 'locked';

/** A ClickHouse failure, classified so callers can answer 504/503 instead of guessing. */
export class ClickHouseError extends Error {
  override name = 'ClickHouseError';
  constructor(
    readonly failure: ClickHouseFailure,
    message: string,
    readonly clickhouseCode?: number,
  ) {
    super(message);
  }
}

/** ClickHouse's own error codes we tell apart. */
const TIMEOUT_CODES = new Set([159, 160]); // TIMEOUT_EXCEEDED, TOO_SLOW

export function classifyClickHouseCode(code: number | undefined): ClickHouseFailure {
  return code !== undefined && TIMEOUT_CODES.has(code) ? 'timeout' : 'query';
}

/** Database names are identifiers we splice into DDL, so they are checked, never escaped. */
export const DATABASE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** JSONEachRow text into validated rows; a row that does not match is a driver error, not data. */
export function parseRows<T extends z.ZodType>(text: string, row: T): z.infer<T>[] {
  const rows: z.infer<T>[] = [];
  for (const line of text.split('\n')) {
    if (line.length === 0) continue;
    rows.push(validateRow(JSON.parse(line), row));
  }
  return rows;
}

/** One row from ClickHouse, checked; a row that does not match is a driver error, not data. */
export function validateRow<T extends z.ZodType>(value: unknown, row: T): z.infer<T> {
  const parsed = row.safeParse(value);
  if (!parsed.success) throw new ClickHouseError('query', `unexpected row from ClickHouse: ${parsed.error.message}`);
  return parsed.data;
}
