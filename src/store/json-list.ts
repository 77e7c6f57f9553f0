import { sql } from 'kysely';

/**
 * An IN list as one bound JSON array (`json_each`). D1 binds at most 100 values per statement;
 * and on SQLite a statement with thousands of placeholders costs more to prepare than to run,
 * and differs in text with every length, so no statement cache can keep it. One value keeps the
 * text fixed on both.
 */
export function jsonList<T extends number | string>(values: readonly T[]) {
  return sql<T>`(SELECT value FROM json_each(${JSON.stringify(values)}))`;
}
