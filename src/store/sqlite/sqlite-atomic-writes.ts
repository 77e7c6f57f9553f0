import type { AtomicWrites, WriteResult } from '../atomic-writes';
import { singleRowInserts } from '../atomic-writes';
import type { PrepareStatement, SyncQueries } from './sync-queries';

/**
 * The SQLite unit of work: every statement run synchronously in one group-committed transaction
 * (nothing interleaves, no await between statements), each prepared once per SQL text. Bulk
 * inserts are single-row statements: with a cached statement, binding one row costs less than
 * Kysely compiling a 1,000-row VALUES list, and measured faster than JSON rows (json_each).
 */
export function sqliteAtomicWrites(sync: SyncQueries, prepare: PrepareStatement): AtomicWrites {
  return {
    maxBoundParameters: 32_766,
    // A group that fails runs each unit again alone: the unit reads only this fixed list, so it
    // can run twice.
    commit: (statements) =>
      sync.transaction(() => {
        const results: WriteResult[] = [];
        for (const { sql, parameters } of statements) {
          const statement = prepare(sql);
          if (statement.reader) {
            // A statement with RETURNING wrote the rows it returned, as on D1.
            const rows = statement.all(parameters) as Record<string, unknown>[];
            results.push({ changes: rows.length, rows });
          } else {
            results.push({ changes: statement.run(parameters).changes, rows: [] });
          }
        }
        return results;
      }),
    insertRows: singleRowInserts,
  };
}
