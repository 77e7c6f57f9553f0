import { type CompiledQuery, Kysely, type QueryResult } from 'kysely';
import { D1Dialect } from 'kysely-d1';
import type { AtomicWrites } from '../atomic-writes';
import type { Database } from '../database';
import type { D1Database, D1Result } from './d1-types';

/**
 * D1 refuses BEGIN: an interactive Kysely transaction (`db.transaction()`) cannot run on it.
 * Said plainly rather than as kysely-d1's "not supported yet", so a use-case that still needs
 * one fails with a message that names the way out.
 */
export class D1TransactionError extends Error {
  override name = 'D1TransactionError';
  constructor() {
    super('D1 has no interactive transactions: this operation needs the Node runtime, or a batch() unit of work');
  }
}

/** D1 binds at most 100 values per statement (Cloudflare's documented limit). */
export const D1_MAX_BOUND_PARAMETERS = 100;

class ClickledgerD1Dialect extends D1Dialect {
  override createDriver() {
    const driver = super.createDriver();
    driver.beginTransaction = () => Promise.reject(new D1TransactionError());
    // kysely-d1 also reports the pre-0.23 `numUpdatedOrDeletedRows`, which makes Kysely warn
    // "outdated driver" once per isolate; the current field is all we read.
    const acquire = driver.acquireConnection.bind(driver);
    driver.acquireConnection = async () => {
      const connection = await acquire();
      const execute = connection.executeQuery.bind(connection);
      connection.executeQuery = async <R>(query: CompiledQuery) => {
        const { numUpdatedOrDeletedRows: _legacy, ...result } = (await execute<R>(query)) as QueryResult<R> & {
          numUpdatedOrDeletedRows?: bigint;
        };
        return result;
      };
      return connection;
    };
    return driver;
  }
}

/** Kysely over a D1 binding (kysely-d1, maintained, plain SqliteQueryCompiler underneath). */
export function openD1(d1: D1Database): Kysely<Database> {
  // kysely-d1 types its config with @cloudflare/workers-types' D1Database; ours is the same shape.
  return new Kysely<Database>({ dialect: new ClickledgerD1Dialect({ database: d1 as never }) });
}

/** Kysely-built queries (compiled, not run) as one D1 batch(): every statement commits or none does. */
export function d1Batch(d1: D1Database, queries: readonly CompiledQuery[]): Promise<D1Result[]> {
  if (queries.length === 0) return Promise.resolve([]);
  return d1.batch(queries.map((q) => d1.prepare(q.sql).bind(...q.parameters)));
}

/** The commission batch's unit of work on D1: one batch() per chunk. */
export function d1AtomicWrites(d1: D1Database): AtomicWrites {
  return {
    maxBoundParameters: D1_MAX_BOUND_PARAMETERS,
    commit: async (statements) => (await d1Batch(d1, statements)).map((r) => r.meta.changes),
  };
}
