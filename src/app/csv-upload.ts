import { parse } from 'csv-parse/sync';

/**
 * An uploaded CSV (RFC 4180) as rows of cells, read by csv-parse: a byte-order mark dropped, rows
 * of any width kept (the caller names the rows whose width is wrong). Undefined when the text is
 * not CSV (a quote never closed, a quote inside an unquoted field): no row of it should count.
 */
export function parseCsvRows(text: string): string[][] | undefined {
  try {
    return parse(text, { bom: true, relax_column_count: true, skip_empty_lines: false }) as string[][];
  } catch {
    return undefined;
  }
}
