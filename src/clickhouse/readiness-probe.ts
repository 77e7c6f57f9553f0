import { z } from 'zod';
import type { ReportStore } from './clickhouse';

const TargetRow = z.object({ id: z.string() });

/**
 * Readiness of the report store: one row of the target table, read through the one ClickHouse
 * interface. Not a bare `SELECT 1`: chDB answers that (and lists its tables) with its data
 * directory deleted, while every report would fail on the first data file it opens; this read
 * opens one, small, on any driver. `current` is read at each call: the store may be attached
 * after start (Workers) and is then absent until it connects.
 */
export function clickHouseProbe(current: () => ReportStore | undefined) {
  return async (): Promise<void> => {
    const reports = current();
    if (!reports) throw new Error('not connected');
    await reports.clickhouse.query('SELECT id FROM target_v1 LIMIT 1', {}, TargetRow, { maxExecutionSeconds: 2 });
  };
}
