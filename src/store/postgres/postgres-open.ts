import { type CompiledQuery, Kysely, PostgresDialect, type QueryResult } from 'kysely';
import pg from 'pg';
import type { AtomicWrites } from '../atomic-writes';
import type { Database } from '../database';
import type { RowReader } from '../row-reader';
import type { MigrationReport } from '../sqlite/sqlite-migrate';
import { postgresAtomicWrites } from './postgres-atomic-writes';
import { sqliteSpelling } from './postgres-errors';
import { migratePostgres } from './postgres-migrate';
import { postgresRowReader } from './postgres-row-reader';
import { SqliteFunctionsCompiler } from './postgres-sqlite-functions';

export interface OpenPostgresOptions {
  /** postgres://user:password@host:port/database (DATABASE_URL). */
  url: string;
  /** Connections in this process's pool. */
  maxConnections?: number;
}

export interface PostgresStore {
  pool: pg.Pool;
  db: Kysely<Database>;
  writes: AtomicWrites;
  rows: RowReader;
  migrations: MigrationReport;
  close(): Promise<void>;
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * Every integer column is BIGINT (sql/postgres/README.md), which pg hands back as a string, and
 * sum() gives NUMERIC, also a string. The rest of the code reads numbers, as from SQLite and
 * D1: parsed here, refusing a value a double cannot hold exactly rather than rounding it.
 */
function parseInteger(text: string): number {
  const value = Number(text);
  if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
    throw new Error(`integer ${text} from PostgreSQL is beyond what a JavaScript number holds exactly`);
  }
  return value;
}

const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID || oid === NUMERIC_OID
      ? parseInteger
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/**
 * Kysely's PostgreSQL dialect with unique violations said as SQLite says them (postgres-errors.ts)
 * and the shared queries' SQLite functions in PostgreSQL's spelling (postgres-sqlite-functions.ts).
 */
class ClickledgerPostgresDialect extends PostgresDialect {
  override createQueryCompiler() {
    return new SqliteFunctionsCompiler();
  }

  override createDriver() {
    const driver = super.createDriver();
    const acquire = driver.acquireConnection.bind(driver);
    // The driver hands out the same connection object for a pooled client each time: wrap once.
    const wrapped = new WeakSet<object>();
    driver.acquireConnection = async () => {
      const connection = await acquire();
      if (wrapped.has(connection)) return connection;
      wrapped.add(connection);
      const execute = connection.executeQuery.bind(connection);
      connection.executeQuery = async <R>(query: CompiledQuery): Promise<QueryResult<R>> => {
        try {
          return await execute<R>(query);
        } catch (error) {
          throw sqliteSpelling(error);
        }
      };
      return connection;
    };
    return driver;
  }
}

/** A pool of connections, the schema migrated (under an advisory lock), Kysely on top. */
export async function openPostgres(options: OpenPostgresOptions): Promise<PostgresStore> {
  const pool = new pg.Pool({ connectionString: options.url, max: options.maxConnections ?? 10, types });
  // An idle client's error (the server restarted) must not crash the process: the pool drops it.
  pool.on('error', () => {});
  let migrations: MigrationReport;
  try {
    migrations = await migratePostgres(pool);
  } catch (error) {
    await pool.end();
    throw error;
  }
  const db = new Kysely<Database>({ dialect: new ClickledgerPostgresDialect({ pool }) });
  let closed = false;
  return {
    pool,
    db,
    writes: postgresAtomicWrites(pool),
    rows: postgresRowReader(pool),
    migrations,
    async close() {
      if (closed) return;
      closed = true;
      // Kysely's destroy ends the pool.
      await db.destroy();
    },
  };
}
