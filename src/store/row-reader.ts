import type { CompiledQuery, Compilable } from 'kysely';

/**
 * Reads a select's rows as arrays, one value per selected column in the order selected, for
 * exports of many rows (the payout CSV). better-sqlite3 builds an object per row with a
 * property per column, which costs about as much as SQLite takes to read the row; an array of
 * the values does not. SQLite: the cached prepared statement in raw mode; D1: the statement's
 * raw(). The queries stay Kysely-built and typed (`readTuples`).
 */
export interface RowReader {
  arrays(query: CompiledQuery): Promise<unknown[][]>;
  /** How many rows a page of a large read should hold on this store (see each adapter for why). */
  readonly pageRows: number;
}

/** 'l.amount_minor' → 'amount_minor': the key Kysely gives a selected column. */
type ColumnKey<S extends string> = S extends `${string}.${infer C}` ? C : S;

/** The tuple of a row selecting `S`, each value typed by the query's own row type `O`. */
export type RowTuple<O, S extends readonly string[]> = { -readonly [I in keyof S]: O[ColumnKey<S[I]> & keyof O] };

/**
 * A Kysely query read as typed tuples. The query is built from `columns` itself (`build`
 * selects exactly them), so the tuple's order is the selection's by construction.
 */
export async function readTuples<const S extends readonly string[], O>(
  reader: RowReader,
  columns: S,
  build: (columns: S) => Compilable<O>,
): Promise<RowTuple<O, S>[]> {
  return (await reader.arrays(build(columns).compile())) as RowTuple<O, S>[];
}
