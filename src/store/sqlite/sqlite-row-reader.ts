import type { RowReader } from '../row-reader';
import type { PrepareStatement } from './sync-queries';

/**
 * Rows as arrays on SQLite: the statement from the shared cache, switched to raw mode for this
 * one synchronous read and back, since Kysely runs the same cached statement and expects
 * objects.
 */
export function sqliteRowReader(prepare: PrepareStatement): RowReader {
  return {
    arrays: async ({ sql, parameters }) => {
      const statement = prepare(sql);
      statement.raw(true);
      try {
        return statement.all(...parameters) as unknown[][];
      } finally {
        statement.raw(false);
      }
    },
  };
}
