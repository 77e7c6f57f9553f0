import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { Session } from 'chdb';

/**
 * A ClickHouse HTTP interface in front of chDB, so the HTTP driver is tested against something
 * that parses requests the way a ClickHouse server does, with a real engine behind it. Debian's
 * clickhouse-server (18.16) is too old to stand in (no query parameters, no LowCardinality).
 *
 * What it speaks: `/` and `/ping`; the query in the `query` URL parameter, in the body, or both
 * (URL text, a newline, then the body, as a server joins them for INSERT … FORMAT with the rows in
 * the body); `param_*` query parameters (bound by chDB, so typed `{name:Type}` placeholders
 * work); `database`; `default_format`; any other URL parameter is taken as a setting; gzip
 * request bodies; errors as ClickHouse sends them (status 500 with `Code: N. DB::Exception: …`
 * and X-ClickHouse-Exception-Code), and 64-bit integers quoted in JSON, as the server's default.
 *
 * Its limits: one query at a time (chDB's session is shared, so requests queue); settings are
 * applied with SET and reset after each request; no sessions (`session_id`), no temporary
 * tables, no authentication, no response compression, no progress headers, one statement per
 * request. None of these is something the driver relies on.
 */
export interface ClickHouseHttpEndpoint {
  url: string;
  requests: number;
  close(): Promise<void>;
}

const IGNORED = new Set([
  'query',
  'database',
  'default_format',
  'query_id',
  'enable_http_compression',
  'wait_end_of_query',
  'user',
  'password',
]);

const ESCAPES: Record<string, string> = { b: '\b', f: '\f', r: '\r', n: '\n', t: '\t', '0': '\0', a: '\x07', v: '\v' };

/**
 * The server reads a `param_*` value of a scalar type in the escaped (TabSeparated) text form:
 * the client sends `it\'s` for "it's". chDB binds values as given, so scalars are unescaped
 * here; composite values (`[1,2]`, `('a',1)`) are text chDB parses itself.
 */
function paramValue(query: string, name: string, raw: string): string {
  const type = new RegExp(`\\{${name}:([^}]+)\\}`).exec(query)?.[1] ?? 'String';
  if (/^(Array|Tuple|Map)\(/.test(type)) return raw;
  return raw.replace(/\\(.)/gs, (_, c: string) => ESCAPES[c] ?? c);
}

function literal(value: string): string {
  return /^-?[0-9]+(\.[0-9]+)?$/.test(value) ? value : `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

async function body(request: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of request) parts.push(chunk as Buffer);
  const raw = Buffer.concat(parts);
  return (request.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
}

export async function startClickHouseHttpEndpoint(dataPath: string): Promise<ClickHouseHttpEndpoint> {
  const session = new Session(dataPath);
  await session.queryAsync('SET output_format_json_quote_64bit_integers = 1');
  let queue: Promise<unknown> = Promise.resolve();
  const endpoint = { url: '', requests: 0, close: async () => {} };

  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname === '/ping') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('Ok.\n');
      return;
    }
    endpoint.requests++;
    const run = queue.then(async () => {
      const text = await body(request);
      const fromUrl = url.searchParams.get('query');
      const query = fromUrl === null ? text : text.length > 0 ? `${fromUrl}\n${text}` : fromUrl;
      const params: Record<string, string> = {};
      const settings: [string, string][] = [];
      for (const [key, value] of url.searchParams) {
        if (key.startsWith('param_')) params[key.slice('param_'.length)] = paramValue(query, key.slice('param_'.length), value);
        else if (!IGNORED.has(key)) settings.push([key, value]);
      }
      try {
        const database = url.searchParams.get('database');
        if (database) await session.queryAsync(`USE ${database.replace(/[^A-Za-z0-9_]/g, '')}`);
        for (const [key, value] of settings)
          await session.queryAsync(`SET ${key.replace(/[^A-Za-z0-9_]/g, '')} = ${literal(value)}`);
        const format = url.searchParams.get('default_format') ?? 'TabSeparated';
        const result = await session.queryBindAsync(query, params, { format });
        response
          .writeHead(200, { 'content-type': 'text/plain; charset=UTF-8', 'x-clickhouse-format': format })
          .end(result.text());
      } catch (error) {
        const e = error as { clickhouseCode?: number; message?: string };
        response
          .writeHead(500, {
            'content-type': 'text/plain; charset=UTF-8',
            'x-clickhouse-exception-code': String(e.clickhouseCode ?? 1002),
          })
          .end(`${e.message ?? String(error)}\n`);
      } finally {
        for (const [key] of settings)
          await session.queryAsync(`SET ${key.replace(/[^A-Za-z0-9_]/g, '')} = DEFAULT`).catch(() => undefined);
        await session.queryAsync('SET output_format_json_quote_64bit_integers = 1');
      }
    });
    queue = run.catch(() => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  endpoint.close = async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await queue;
    session.close();
  };
  return endpoint;
}
