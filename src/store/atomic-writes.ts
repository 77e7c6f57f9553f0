import { CompiledQuery } from 'kysely';

/** What a bulk insert does with a row whose conflict column already exists. */
export interface RowConflict {
  column: string;
  /** Columns taken from the new row (an upsert); absent: the existing row stays (DO NOTHING). */
  update?: readonly string[];
}

/**
 * A unit of work that only writes: compiled statements that commit together or not at all.
 * Because no statement reads another's result, both stores can run it their own way: SQLite in
 * one transaction, D1 (which has no interactive transactions) in one batch(). The commission
 * batch computes everything in memory first and commits each chunk through this.
 */
export interface AtomicWrites {
  /**
   * Runs the statements in order, atomically; the rows each one changed (not counting what
   * triggers wrote).
   */
  commit(statements: readonly CompiledQuery[]): Promise<number[]>;
  /**
   * The most values one statement may bind: SQLite's 32,766, D1's 100. Callers size their
   * IN lists by it.
   */
  readonly maxBoundParameters: number;
  /**
   * Statements inserting many rows the way this store does it best: SQLite runs one prepared
   * single-row INSERT per row (binding beats both multi-row VALUES and JSON there); D1 passes
   * rows as one JSON value per statement, since 100 bound values would allow only 4 ledger rows.
   * Columns are the first row's keys. Each statement's count is the rows it inserted or updated.
   */
  insertRows(table: string, rows: readonly Record<string, unknown>[], conflict: RowConflict): Iterable<CompiledQuery>;
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** `ON CONFLICT …` for a bulk insert, the same text on every store. */
export function onConflictClause(conflict: RowConflict): string {
  const action = conflict.update?.length
    ? `DO UPDATE SET ${conflict.update.map((c) => `${quote(c)} = excluded.${quote(c)}`).join(', ')}`
    : 'DO NOTHING';
  return `ON CONFLICT (${quote(conflict.column)}) ${action}`;
}

/** One single-row statement per row, all sharing one SQL text (so a statement cache prepares it once). */
export function* singleRowInserts(
  table: string,
  rows: readonly Record<string, unknown>[],
  conflict: RowConflict,
): Generator<CompiledQuery> {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!);
  const sql = `INSERT INTO ${quote(table)} (${columns.map(quote).join(', ')}) VALUES (${columns.map(() => '?').join(', ')}) ${onConflictClause(conflict)}`;
  for (const row of rows)
    yield CompiledQuery.raw(
      sql,
      columns.map((c) => row[c]),
    );
}
