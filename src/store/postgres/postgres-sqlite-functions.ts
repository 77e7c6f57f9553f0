import { type OperationNode, PostgresQueryCompiler, type QueryId, type RawNode, type RootOperationNode } from 'kysely';

/**
 * The few SQLite functions the shared queries write by hand (`sql\`…\``), compiled into
 * PostgreSQL's spelling, so the batch, the export and every `jsonList` run unchanged on both:
 *
 * - `(SELECT value FROM json_each(?))` (`jsonList`, an IN list as one JSON value, for D1's 100
 *   bound values) becomes `(SELECT unnest(?::bigint[]))` (or `text[]`), the list bound as an array;
 * - `json_each(?) AS g` (rows of a JSON array of arrays) becomes `jsonb_array_elements` with its
 *   0-based `key`, and `json_extract(g.value, '$[i]')` becomes `(g.value->>i)` cast to the type
 *   the bound rows hold at position i (bigint when every value there is an integer, else text):
 *   PostgreSQL compares a bigint column only with a bigint;
 * - `json_extract(column, '$.key')` (a key of a stored JSON text, e.g. an outbound event's
 *   snapshot) becomes `(column::jsonb -> 'key')`: NULL when the key is missing, and read back
 *   as the JSON value (a number stays a number), as SQLite answers;
 * - `strftime('%Y-%m-%dT%H:%M:%fZ', t, '+' || n || ' days')` (an ISO instant n days on, the
 *   commission list's lock date) becomes the same text from `to_char` over timestamptz in UTC;
 * - the scalar `min(a, b)` / `max(a, b)` become `LEAST` / `GREATEST`.
 *
 * Anything else is compiled as PostgreSQL's own compiler does.
 */
const JSON_LIST_OPEN = /\(SELECT value FROM json_each\($/;
const JSON_EACH_OPEN = /json_each\($/;
const EXTRACT_LITERAL = /json_extract\((\w+)\.value, '\$\[(\d+)\]'\)/g;
const EXTRACT_OPEN = /json_extract\((\w+)\.value, $/;
const EXTRACT_KEY = /json_extract\(([\w.]+), '\$\.(\w+)'\)/g;
const ISO_PLUS_DAYS = /strftime\('%Y-%m-%dT%H:%M:%fZ', ([\w.]+), '\+' \|\| ([\w.]+) \|\| ' days'\)/g;
const SCALAR_MIN_MAX = /\b(min|max)\(([\w."]+), ([\w."]+)\)/g;

type Positions = ('bigint' | 'text' | undefined)[];

function isNode(value: unknown): value is OperationNode {
  return typeof value === 'object' && value !== null && typeof (value as { kind?: unknown }).kind === 'string';
}

function jsonEachValue(node: unknown): string | undefined {
  if (!isNode(node) || node.kind !== 'RawNode') return undefined;
  const raw = node as RawNode;
  const at = raw.sqlFragments.findIndex((f) => JSON_EACH_OPEN.test(f));
  const param = at >= 0 ? raw.parameters[at] : undefined;
  const value = param && param.kind === 'ValueNode' ? (param as unknown as { value: unknown }).value : undefined;
  return typeof value === 'string' ? value : undefined;
}

/** Per alias of a `json_each(?)` in the query, the SQL type of each position of its rows. */
function jsonAliases(root: unknown): Map<string, Positions> {
  const aliases = new Map<string, Positions>();
  const seen = new Set<unknown>();
  const walk = (value: unknown): void => {
    if (typeof value !== 'object' || value === null || seen.has(value)) return;
    seen.add(value);
    if (isNode(value) && value.kind === 'AliasNode') {
      const { node, alias } = value as unknown as { node: unknown; alias: { name?: string } };
      const json = jsonEachValue(node);
      if (json !== undefined && alias.name) {
        const positions = aliases.get(alias.name) ?? [];
        for (const row of JSON.parse(json) as unknown[]) {
          if (!Array.isArray(row)) continue;
          row.forEach((v, i) => {
            if (v === null) return;
            const type = typeof v === 'number' && Number.isInteger(v) ? 'bigint' : 'text';
            positions[i] = positions[i] === undefined || positions[i] === type ? type : 'text';
          });
        }
        aliases.set(alias.name, positions);
      }
    }
    for (const child of Array.isArray(value) ? value : Object.values(value)) walk(child);
  };
  walk(root);
  return aliases;
}

export class SqliteFunctionsCompiler extends PostgresQueryCompiler {
  #aliases = new Map<string, Positions>();

  override compileQuery(node: RootOperationNode, queryId: QueryId) {
    this.#aliases = jsonAliases(node);
    return super.compileQuery(node, queryId);
  }

  #extract(alias: string, index: number): string {
    return `(${alias}.value->>${index})::${this.#aliases.get(alias)?.[index] ?? 'text'}`;
  }

  protected override visitRaw(node: RawNode): void {
    const { sqlFragments, parameters } = node;
    if (!sqlFragments.some((f) => f.includes('json_') || f.includes('strftime(') || /\b(min|max)\(/.test(f))) {
      return super.visitRaw(node);
    }
    let dropParen = false;
    for (let i = 0; i < sqlFragments.length; i++) {
      let text = sqlFragments[i]!;
      if (dropParen) text = text.replace(/^\)/, '');
      dropParen = false;
      text = text
        .replace(EXTRACT_LITERAL, (_m, alias: string, index: string) => this.#extract(alias, Number(index)))
        .replace(EXTRACT_KEY, (_m, column: string, key: string) => `(${column}::jsonb -> '${key}')`)
        .replace(
          ISO_PLUS_DAYS,
          (_m, at: string, days: string) =>
            `to_char((${at})::timestamptz AT TIME ZONE 'UTC' + (${days}) * interval '1 day', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
        )
        .replace(SCALAR_MIN_MAX, (_m, fn: string, a: string, b: string) => `${fn === 'min' ? 'LEAST' : 'GREATEST'}(${a}, ${b})`);
      const param = parameters[i];
      const value = param?.kind === 'ValueNode' ? (param as unknown as { value: unknown }).value : undefined;
      if (param && typeof value === 'string' && JSON_LIST_OPEN.test(text)) {
        const list = JSON.parse(value) as unknown[];
        const type = list.every((v) => typeof v === 'number' && Number.isInteger(v)) ? 'bigint' : 'text';
        this.append(text.replace(JSON_LIST_OPEN, '(SELECT unnest('));
        this.appendValue(list);
        this.append(`::${type}[]`);
        continue;
      }
      if (param && typeof value === 'string' && JSON_EACH_OPEN.test(text)) {
        this.append(text.replace(JSON_EACH_OPEN, '(SELECT (e.o - 1) AS key, e.v AS value FROM jsonb_array_elements('));
        this.appendValue(value);
        this.append('::jsonb) WITH ORDINALITY AS e(v, o)');
        continue;
      }
      const open = EXTRACT_OPEN.exec(text);
      const path = typeof value === 'string' ? /^\$\[(\d+)\]$/.exec(value) : null;
      if (param && open && path) {
        this.append(text.slice(0, open.index));
        this.append(this.#extract(open[1]!, Number(path[1])));
        dropParen = true;
        continue;
      }
      this.append(text);
      if (param) this.visitNode(param);
    }
  }
}
