import type { Pool } from 'pg';
import type { RowReader } from '../row-reader';

/** Rows as arrays on PostgreSQL: pg's own `rowMode: 'array'`, no object per row. */
export function postgresRowReader(pool: Pool): RowReader {
  return {
    // The same page as SQLite's until measured here: one round trip per 500 rows.
    pageRows: 500,
    arrays: async ({ sql, parameters }) =>
      (await pool.query<unknown[]>({ text: sql, values: parameters as unknown[], rowMode: 'array' })).rows,
  };
}
