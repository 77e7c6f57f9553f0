/**
 * The merchant's catalogue: which category each SKU belongs to. Shops put no category on order
 * lines (it belongs to the product), so category rules in a plan need this map. Parsing and
 * checking are pure; the store replaces a program's catalogue whole.
 */
export interface CatalogItem {
  sku: string;
  category: string;
}

export const MAX_CATALOG_ITEMS = 100_000;
const MAX_TEXT = 100;

export type CatalogResult = { ok: true; items: CatalogItem[] } | { ok: false; message: string };

/** Trimmed, non-empty, bounded SKUs and categories, each SKU once. */
export function checkCatalog(items: readonly { sku: unknown; category: unknown }[], where: (i: number) => string): CatalogResult {
  if (items.length > MAX_CATALOG_ITEMS) return { ok: false, message: `at most ${MAX_CATALOG_ITEMS} items` };
  const seen = new Map<string, number>();
  const out: CatalogItem[] = [];
  for (const [i, item] of items.entries()) {
    const sku = typeof item.sku === 'string' ? item.sku.trim() : '';
    const category = typeof item.category === 'string' ? item.category.trim() : '';
    if (sku === '' || sku.length > MAX_TEXT)
      return { ok: false, message: `${where(i)}: sku must be 1 to ${MAX_TEXT} characters` };
    if (category === '' || category.length > MAX_TEXT)
      return { ok: false, message: `${where(i)}: category must be 1 to ${MAX_TEXT} characters` };
    const first = seen.get(sku);
    if (first !== undefined) return { ok: false, message: `${where(i)}: sku ${sku} is already in ${where(first)}` };
    seen.set(sku, i);
    out.push({ sku, category });
  }
  return { ok: true, items: out };
}

/** RFC 4180 records (quoted fields, doubled quotes, CRLF or LF); undefined when a quote is left open. */
export function parseCsv(text: string): string[][] | undefined {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // a spreadsheet's byte-order mark
  for (; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (quoted) return undefined;
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0]!.trim() === ''));
}

/** A CSV upload with a header row naming `sku` and `category` columns (any order, other columns ignored). */
export function parseCatalogCsv(text: string): CatalogResult {
  const rows = parseCsv(text);
  if (!rows) return { ok: false, message: 'the CSV has an unclosed quote' };
  const header = rows[0]?.map((h) => h.trim().toLowerCase());
  const skuAt = header?.indexOf('sku') ?? -1;
  const categoryAt = header?.indexOf('category') ?? -1;
  if (skuAt === -1 || categoryAt === -1)
    return { ok: false, message: 'the first CSV row must name the columns sku and category' };
  return checkCatalog(
    rows.slice(1).map((r) => ({ sku: r[skuAt], category: r[categoryAt] })),
    (i) => `CSV line ${i + 2}`,
  );
}
