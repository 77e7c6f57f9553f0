import { readdirSync, readFileSync } from 'node:fs';
import type { ClickHouseDdl } from './schema';

export const CLICKHOUSE_DDL_DIR = new URL('../../sql/clickhouse/', import.meta.url);

/** The ClickHouse DDL files, read from disk (Node); Workers bundle the same files as text. */
export function readClickHouseDdl(dir: URL = CLICKHOUSE_DDL_DIR): ClickHouseDdl[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.sql'))
    .sort()
    .map((name) => ({ name, sql: readFileSync(new URL(name, dir), 'utf8') }));
}
