import type { CompiledQuery, Kysely } from 'kysely';
import type { Database } from './database';

/**
 * A unit of work that only writes: compiled statements that commit together or not at all.
 * Because no statement reads another's result, both stores can run it their own way: SQLite in
 * one transaction, D1 (which has no interactive transactions) in one batch(). The commission
 * batch computes everything in memory first and commits each chunk through this.
 */
export interface AtomicWrites {
  /**
   * Runs the statements in order, atomically; the rows each one changed. An iterable, so a
   * store that runs them one by one (SQLite) can take each as it is made.
   */
  commit(statements: Iterable<CompiledQuery>): Promise<number[]>;
  /**
   * The most values one statement may bind: SQLite's 32,766, D1's 100. Callers size their
   * multi-row inserts and IN lists by it.
   */
  readonly maxBoundParameters: number;
  /**
   * Optional: statements inserting many rows (`ON CONFLICT (conflictColumn) DO NOTHING`) the
   * way this store does it best. D1 passes rows as one JSON value per statement, since 100
   * bound values would allow only 4 ledger rows; without it, callers write multi-row VALUES.
   */
  insertIgnoringConflicts?(table: string, conflictColumn: string, rows: readonly Record<string, unknown>[]): CompiledQuery[];
}

/** The SQLite adapter: a Kysely transaction, as the batch always used. */
export function kyselyAtomicWrites(db: Kysely<Database>): AtomicWrites {
  return {
    maxBoundParameters: 32_766,
    commit: (statements) =>
      db.transaction().execute(async (trx) => {
        const changed: number[] = [];
        for (const statement of statements) {
          const result = await trx.executeQuery(statement);
          changed.push(Number(result.numAffectedRows ?? 0n));
        }
        return changed;
      }),
  };
}
