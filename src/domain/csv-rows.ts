/**
 * Reads an uploaded CSV (RFC 4180: comma-separated, fields optionally in double quotes with ""
 * for a quote, CRLF or LF line ends) into rows of cells. A leading byte-order mark is dropped and
 * a last empty line ignored. Undefined when a quoted field never closes or a quote stands
 * inside an unquoted field: the file is not CSV and no row of it should count.
 */
export function parseCsvRows(text: string): string[][] | undefined {
  const src = text.startsWith('\ufeff') ? text.slice(1) : text;
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let i = 0;
  let quotedCell = false;
  while (i < src.length) {
    const ch = src[i]!;
    if (ch === '"') {
      if (cell !== '' || quotedCell) return undefined;
      quotedCell = true;
      i++;
      for (;;) {
        if (i >= src.length) return undefined;
        if (src[i] === '"') {
          if (src[i + 1] === '"') {
            cell += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        cell += src[i];
        i++;
      }
      if (i < src.length && src[i] !== ',' && src[i] !== '\n' && src[i] !== '\r') return undefined;
      continue;
    }
    if (ch === ',') {
      row.push(cell);
      cell = '';
      quotedCell = false;
      i++;
      continue;
    }
    if (ch === '\r' || ch === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      quotedCell = false;
      i += ch === '\r' && src[i + 1] === '\n' ? 2 : 1;
      continue;
    }
    cell += ch;
    i++;
  }
  if (cell !== '' || quotedCell || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}
