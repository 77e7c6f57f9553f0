import type { RowReader } from '../row-reader';
import type { D1Database } from './d1-types';

/** Rows as arrays on D1: raw() gives each row as its column values, in the order selected. */
export function d1RowReader(d1: D1Database): RowReader {
  return {
    // Each page is a round trip, and an invocation may make at most 1,000 queries: large pages.
    pageRows: 5000,
    arrays: ({ sql, parameters }) =>
      d1
        .prepare(sql)
        .bind(...parameters)
        .raw(),
  };
}
