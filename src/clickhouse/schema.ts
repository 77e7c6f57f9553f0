import { z } from 'zod';
import type { ClickHouse } from './clickhouse';

export interface ClickHouseDdl {
  name: string;
  sql: string;
}

const TargetRow = z.object({ id: z.string() });

/** ClickHouse's DateTime64 text for an ISO instant; the columns are UTC. */
export function clickHouseTime(iso: string): string {
  return iso.replace('T', ' ').replace('Z', '');
}

/**
 * Applies the DDL of `sql/clickhouse/` in name order. Every statement is `IF NOT EXISTS` and
 * names are versioned (`clicks_v1`): a change is a new file and a new name, never an ALTER of a
 * table reports read, so applying at every start is safe. Returns this ClickHouse's target id.
 */
export async function applyClickHouseSchema(
  ch: ClickHouse,
  files: readonly ClickHouseDdl[],
  newTargetId: string,
  now: Date,
): Promise<string> {
  for (const file of [...files].sort((a, b) => a.name.localeCompare(b.name))) {
    await ch.command(file.sql);
  }
  const existing = await readTargetId(ch);
  if (existing) return existing;
  await ch.insert('target_v1', [{ id: newTargetId, created_at: clickHouseTime(now.toISOString()) }], `target:${newTargetId}`);
  // Two first starts at once both insert; the oldest row wins for both.
  return (await readTargetId(ch))!;
}

/** This ClickHouse's target id, once the schema is applied. */
export async function readTargetId(ch: ClickHouse): Promise<string | undefined> {
  const [row] = await ch.query('SELECT id FROM target_v1 ORDER BY created_at, id LIMIT 1', {}, TargetRow);
  return row?.id;
}
