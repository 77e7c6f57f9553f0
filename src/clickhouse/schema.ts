import { z } from 'zod';
import type { ClickHouse } from './clickhouse';

export interface ClickHouseDdl {
  name: string;
  sql: string;
}

const TargetRow = z.object({ id: z.string() });
const CountRow = z.object({ n: z.coerce.number() });

/** `backfills/<table>.sql`: fills a table added next to existing data, once. */
const BACKFILL = /^backfills\/([a-z][a-z0-9_]*)\.sql$/;

/** ClickHouse's DateTime64 text for an ISO instant; the columns are UTC. */
export function clickHouseTime(iso: string): string {
  return iso.replace('T', ' ').replace('Z', '');
}

/**
 * Applies the DDL of `sql/clickhouse/` in name order. Every statement is `IF NOT EXISTS` and
 * names are versioned (`clicks_v1`): a change is a new file and a new name, never an ALTER of a
 * table reports read, so applying at every start is safe. The one exception is
 * `ADD COLUMN IF NOT EXISTS` with an empty default (0012, 0013): it changes no figure a report
 * already reads. Then runs each backfill not done yet
 * (`backfills_v1`). Returns this ClickHouse's target id.
 */
export async function applyClickHouseSchema(
  ch: ClickHouse,
  files: readonly ClickHouseDdl[],
  newTargetId: string,
  now: Date,
): Promise<string> {
  const sorted = [...files].sort((a, b) => a.name.localeCompare(b.name));
  for (const file of sorted.filter((f) => !f.name.includes('/'))) {
    await ch.command(file.sql);
  }
  for (const file of sorted.filter((f) => f.name.includes('/'))) {
    await backfill(ch, file, now);
  }
  const existing = await readTargetId(ch);
  if (existing) return existing;
  await ch.insert('target_v1', [{ id: newTargetId, created_at: clickHouseTime(now.toISOString()) }], `target:${newTargetId}`);
  // Two first starts at once both insert; the oldest row wins for both.
  return (await readTargetId(ch))!;
}

/**
 * A backfill reads tables the export keeps complete (a rollup from the rollup it refines), so it
 * starts from an empty table: a run cut short is simply run again. It assumes no export runs
 * meanwhile, which holds at start (chDB: one process; a server: start one instance first).
 */
async function backfill(ch: ClickHouse, file: ClickHouseDdl, now: Date): Promise<void> {
  const table = BACKFILL.exec(file.name)?.[1];
  if (table === undefined) throw new Error(`not a backfill file name: ${file.name}`);
  const [done] = await ch.query('SELECT count() AS n FROM backfills_v1 WHERE name = {name:String}', { name: table }, CountRow);
  if (done && done.n > 0) return;
  // The table name comes from the file name, checked above: never from a caller.
  await ch.command(`TRUNCATE TABLE ${table}`);
  await ch.command(file.sql);
  await ch.insert('backfills_v1', [{ name: table, at: clickHouseTime(now.toISOString()) }], `backfill:${table}`);
}

/** This ClickHouse's target id, once the schema is applied. */
export async function readTargetId(ch: ClickHouse): Promise<string | undefined> {
  const [row] = await ch.query('SELECT id FROM target_v1 ORDER BY created_at, id LIMIT 1', {}, TargetRow);
  return row?.id;
}
