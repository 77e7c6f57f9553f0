import { CompiledQuery } from 'kysely';
import { type AtomicWrites, onConflictClause, type RowConflict } from '../atomic-writes';
import type { D1Database, D1Result } from './d1-types';

/** D1 binds at most 100 values per statement (Cloudflare's documented limit). */
export const D1_MAX_BOUND_PARAMETERS = 100;

/** Kysely-built queries (compiled, not run) as one D1 batch(): every statement commits or none does. */
export function d1Batch(d1: D1Database, queries: readonly CompiledQuery[]): Promise<D1Result[]> {
  if (queries.length === 0) return Promise.resolve([]);
  return d1.batch(queries.map((q) => d1.prepare(q.sql).bind(...q.parameters)));
}

/** D1 caps a bound string at 2,000,000 bytes; JSON row chunks stay well under it. */
const JSON_CHUNK_BYTES = 1_000_000;

/**
 * Many rows in a few statements: each statement binds one JSON array and inserts its elements
 * (`json_each`), so a chunk of the commission batch is a handful of statements instead of one per
 * four rows. Columns are the first row's keys; values are SQLite's JSON mapping (integers,
 * text, null), which is all the ledger and the catalogue hold. Each returns one row per row
 * inserted: D1's own change count would include what triggers wrote.
 */
function jsonInserts(table: string, rows: readonly Record<string, unknown>[], conflict: RowConflict): CompiledQuery[] {
  if (rows.length === 0) return [];
  const columns = Object.keys(rows[0]!);
  const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
  const text = `INSERT INTO ${quote(table)} (${columns.map(quote).join(', ')})
    SELECT ${columns.map((c) => `json_extract(value, '$.${c}')`).join(', ')} FROM json_each(?) WHERE true
    ${onConflictClause(conflict)} RETURNING 1 AS inserted`;
  const statements: CompiledQuery[] = [];
  let chunk: string[] = [];
  let bytes = 0;
  const flush = () => {
    if (chunk.length > 0) statements.push(CompiledQuery.raw(text, [`[${chunk.join(',')}]`]));
    chunk = [];
    bytes = 0;
  };
  for (const row of rows) {
    const json = JSON.stringify(row);
    if (bytes + json.length > JSON_CHUNK_BYTES) flush();
    chunk.push(json);
    bytes += json.length + 1;
  }
  flush();
  return statements;
}

/** The unit of work on D1: one batch() (the commission batch's chunks, provisioning, payout runs). */
export function d1AtomicWrites(d1: D1Database): AtomicWrites {
  return {
    maxBoundParameters: D1_MAX_BOUND_PARAMETERS,
    commit: async (statements) =>
      (await d1Batch(d1, statements)).map((r) => {
        const rows = r.results ?? [];
        // A statement that returned rows wrote exactly those (RETURNING); meta.changes would
        // also count the outbox rows its triggers wrote. One with RETURNING that wrote nothing
        // returns none and reports 0 changes, so the fallback is right for it too.
        return { changes: rows.length > 0 ? rows.length : r.meta.changes, rows };
      }),
    insertRows: jsonInserts,
  };
}
