import { readdirSync, readFileSync } from 'node:fs';
import type { ClickHouseDdl } from './schema';

export const CLICKHOUSE_DDL_DIR = new URL('../../sql/clickhouse/', import.meta.url);

/** The ClickHouse DDL files, read from disk (Node), then the backfills (`backfills/<table>.sql`). */
export function readClickHouseDdl(dir: URL = CLICKHOUSE_DDL_DIR): ClickHouseDdl[] {
  const read = (sub: string) =>
    readdirSync(new URL(sub, dir))
      .filter((name) => name.endsWith('.sql'))
      .sort()
      .map((name) => ({ name: `${sub}${name}`, sql: readFileSync(new URL(`${sub}${name}`, dir), 'utf8') }));
  return [...read(''), ...read('backfills/')];
}
