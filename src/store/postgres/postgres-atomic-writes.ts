import { CompiledQuery } from 'kysely';
import type { Pool, PoolClient } from 'pg';
import { type AtomicWrites, multiRowInserts, type WriteResult } from '../atomic-writes';
import { positional, sqliteSpelling } from './postgres-errors';

/** PostgreSQL binds at most 65,535 values per statement (its protocol's 16-bit count). */
const MAX_BOUND_PARAMETERS = 65_535;

/**
 * pg_advisory_xact_lock's key for units of work. Held until COMMIT, so units run one at a time
 * across every instance on this database, as they do on SQLite (one writer) and D1 (batch()):
 * `nextId`/`insertedId` (src/store/atomic-writes.ts) pick and find ids by max(id), which is
 * only sound when no other unit inserts in between. Clicks and order intake do not take it.
 */
export const UNIT_OF_WORK_LOCK: readonly [number, number] = [0x636c6b6c, 2];

/** Runs `work` in one transaction on one pooled connection: COMMIT if it returns, ROLLBACK if it throws. */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  // A connection lost between queries is an 'error' event; unheard, it would end the process.
  const lost = (error: Error) => (broken = error);
  client.on('error', lost);
  try {
    await client.query('BEGIN');
    try {
      const value = await work(client);
      await client.query('COMMIT');
      return value;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      throw sqliteSpelling(error);
    }
  } finally {
    client.off('error', lost);
    // A connection whose ROLLBACK failed (or that was lost) is in an unknown state: the pool drops it.
    client.release(broken);
  }
}

export function postgresAtomicWrites(pool: Pool): AtomicWrites {
  return {
    maxBoundParameters: MAX_BOUND_PARAMETERS,
    commit: (statements) =>
      inTransaction(pool, async (client) => {
        await client.query('SELECT pg_advisory_xact_lock($1, $2)', [...UNIT_OF_WORK_LOCK]);
        const results: WriteResult[] = [];
        for (const { sql, parameters } of statements) {
          const result = await client.query(sql, parameters as unknown[]);
          // A statement with RETURNING wrote the rows it returned; otherwise rowCount, which on
          // PostgreSQL never includes what triggers wrote.
          const returning = result.fields.length > 0;
          results.push({ changes: returning ? result.rows.length : (result.rowCount ?? 0), rows: returning ? result.rows : [] });
        }
        return results;
      }),
    // The shared multi-row INSERTs, their `?` numbered for PostgreSQL.
    insertRows: (table, rows, conflict) =>
      multiRowInserts(table, rows, conflict, MAX_BOUND_PARAMETERS).map((q) =>
        CompiledQuery.raw(positional(q.sql), [...q.parameters]),
      ),
  };
}
