import { type CompiledQuery, Kysely, type QueryResult } from 'kysely';
import { D1Dialect } from 'kysely-d1';
import type { Database } from '../database';
import type { D1Database } from './d1-types';

/**
 * D1 refuses BEGIN: an interactive Kysely transaction (`db.transaction()`) cannot run on it.
 * Said plainly rather than as kysely-d1's "not supported yet", so code that reaches for one
 * fails with a message that names the way out.
 */
export class D1TransactionError extends Error {
  override name = 'D1TransactionError';
  constructor() {
    super('D1 has no interactive transactions: commit through AtomicWrites (one batch()) instead of db.transaction()');
  }
}

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
