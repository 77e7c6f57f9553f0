import { CompiledQuery, type RawBuilder, sql } from 'kysely';

/** What one statement of a unit of work did. */
export interface WriteResult {
  /**
   * Rows the statement wrote. For a statement with RETURNING, the rows it returned (exact on
   * both stores). Otherwise the store's count: on D1 that includes rows written by triggers (an
   * order or ledger row also queues an outbox row), so guards compare it with 0, not 1.
   */
  changes: number;
  /** What RETURNING gave back; empty for a statement without it. */
  rows: Record<string, unknown>[];
}

/** What a bulk insert does with a row whose conflict columns already exist. */
export interface RowConflict {
  columns: readonly string[];
  /** Columns taken from the new row (an upsert); absent: the existing row stays (DO NOTHING). */
  update?: readonly string[];
}

/**
 * A unit of work that only writes: compiled statements that commit together or not at all.
 * Because no statement reads another's result, both stores can run it their own way: SQLite in
 * one synchronous transaction, D1 (which has no interactive transactions) in one batch().
 * Anything a statement needs from an earlier one is said in SQL (a guard such as `WHERE NOT
 * EXISTS`, or `insertedId` for the row an earlier statement created); what the caller needs back
 * comes from RETURNING. The commission batch, provisioning and payout runs all commit through this.
 */
export interface AtomicWrites {
  /** Runs the statements in order, atomically; one result per statement. */
  commit(statements: readonly CompiledQuery[]): Promise<WriteResult[]>;
  /**
   * The most values one statement may bind: SQLite's 32,766, D1's 100. Callers size their
   * IN lists by it.
   */
  readonly maxBoundParameters: number;
  /**
   * Statements inserting many rows the way this store does it best: SQLite runs cached
   * multi-row INSERTs (`multiRowInserts`); D1 passes rows as one JSON value per statement, since
   * 100 bound values would allow only 4 ledger rows.
   * Columns are the first row's keys. Each statement's `changes` is the rows it inserted (or
   * updated, for an upsert), never what triggers wrote.
   */
  insertRows(table: string, rows: readonly Record<string, unknown>[], conflict: RowConflict): CompiledQuery[];
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** `ON CONFLICT …` for a bulk insert, the same text on every store. */
export function onConflictClause(conflict: RowConflict): string {
  const action = conflict.update?.length
    ? `DO UPDATE SET ${conflict.update.map((c) => `${quote(c)} = excluded.${quote(c)}`).join(', ')}`
    : 'DO NOTHING';
  return `ON CONFLICT (${conflict.columns.map(quote).join(', ')}) ${action}`;
}

/** Most rows in one multi-row INSERT: past a few hundred, longer statements gain nothing. */
const MOST_ROWS_PER_INSERT = 512;

/**
 * Multi-row INSERT … VALUES statements whose row counts are powers of two (the largest size
 * that fits `maxBoundParameters`, then the remainder's binary digits), so a statement cache
 * holds a handful of texts however many rows come.
 */
export function multiRowInserts(
  table: string,
  rows: readonly Record<string, unknown>[],
  conflict: RowConflict,
  maxBoundParameters: number,
): CompiledQuery[] {
  if (rows.length === 0) return [];
  const columns = Object.keys(rows[0]!);
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  const head = `INSERT INTO ${quote(table)} (${columns.map(quote).join(', ')}) VALUES `;
  const tail = ` ${onConflictClause(conflict)}`;
  let size = 1;
  while (size * 2 <= MOST_ROWS_PER_INSERT && size * 2 * columns.length <= maxBoundParameters) size *= 2;
  const statements: CompiledQuery[] = [];
  for (let i = 0; i < rows.length; ) {
    while (size > rows.length - i) size /= 2;
    const values: unknown[] = [];
    for (const row of rows.slice(i, i + size)) for (const c of columns) values.push(row[c]);
    statements.push(CompiledQuery.raw(`${head}${Array(size).fill(tuple).join(', ')}${tail}`, values));
    i += size;
  }
  return statements;
}

/** The id a `RETURNING id` statement gave back. */
export function returnedId(result: WriteResult | undefined): number {
  const id = result?.rows[0]?.id;
  if (typeof id !== 'number') throw new Error('the statement returned no id');
  return id;
}

/** Tables whose rows a unit of work creates and then refers to. */
type CreatedTable = 'merchants' | 'affiliates' | 'programs' | 'payouts';

/**
 * The id a unit of work gives the row it creates in `table`: one past the largest, which is
 * also what SQLite would pick for an INTEGER PRIMARY KEY, so ids stay 1, 2, 3… as before.
 * Chosen in SQL rather than read first, so it is decided inside the unit of work itself.
 */
export function nextId(table: CreatedTable): RawBuilder<number> {
  return sql<number>`(SELECT coalesce(max(id), 0) + 1 FROM ${sql.table(table)})`;
}

/**
 * The row an earlier statement of the same unit of work created with `nextId`: still the
 * largest id, since both stores run one write transaction at a time (SQLite's single writer, a
 * D1 batch()) and nothing else inserts between our statements. `last_insert_rowid()` is not
 * used: on Node other writers share the connection (the click recorder), and each insert of
 * the unit (a key, a secret) moves it.
 */
export function insertedId(table: CreatedTable): RawBuilder<number> {
  return sql<number>`(SELECT max(id) FROM ${sql.table(table)})`;
}
