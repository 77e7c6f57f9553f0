/**
 * PostgreSQL's unique violation (23505) said the way SQLite says it. Callers that retry or
 * refuse on a taken key (a link code drawn twice, a ledger entry another payout run took) match
 * `UNIQUE constraint failed: table.column`; one spelling keeps them store-agnostic.
 */
interface PgError extends Error {
  code?: string;
  table?: string;
  detail?: string;
}

export function sqliteSpelling(error: unknown): unknown {
  const e = error as PgError;
  if (!(e instanceof Error) || e.code !== '23505' || !e.table) return error;
  const columns = /^Key \(([^)]*)\)=/.exec(e.detail ?? '')?.[1]?.split(', ') ?? [];
  const named = columns.map((c) => `${e.table}.${c}`).join(', ');
  const translated = new Error(`UNIQUE constraint failed: ${named} (${e.message})`, { cause: error });
  Object.assign(translated, { code: e.code });
  return translated;
}

/** `?` placeholders (SQLite's, and the shared multi-row inserts') as PostgreSQL's `$1, $2, …`. */
export function positional(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
