import { statfs } from 'node:fs/promises';
import type { AppDeps, ReadinessProbe } from '../core/deps';
import { clickHouseProbe } from '../clickhouse/readiness-probe';
import type { SqliteStore } from '../store/sqlite/sqlite-open';
import type { Config } from './config';

const PROBE_KEY = 'readiness_probe';

/**
 * What /readyz checks on Node. The store takes a real write (one settings row, group-committed
 * like any request's), since a store that still reads can have a full disk or a read-only file;
 * the file system holding DATA_DIR keeps READY_MIN_FREE_DISK_MB free, so the node leaves the
 * load balancer before SQLite starts refusing clicks; ClickHouse reads a row.
 */
export function nodeReadinessProbes(
  store: SqliteStore,
  deps: Pick<AppDeps, 'clock' | 'reports'>,
  config: Pick<Config, 'DATA_DIR' | 'READY_MIN_FREE_DISK_MB'>,
): Record<string, ReadinessProbe> {
  const writeProbe = store.sync.prepared((p: { value: string }) =>
    store.db
      .insertInto('settings')
      .values({ key: PROBE_KEY, value: p.value })
      .onConflict((oc) => oc.column('key').doUpdateSet((eb) => ({ value: eb.ref('excluded.value') }))),
  );
  return {
    store: async () => {
      await store.sync.transaction(() => writeProbe.run({ value: deps.clock.now().toISOString() }));
    },
    disk: async () => {
      const stats = await statfs(config.DATA_DIR);
      const freeMb = Math.floor((stats.bavail * stats.bsize) / 2 ** 20);
      if (freeMb < config.READY_MIN_FREE_DISK_MB) {
        throw new Error(`${freeMb} MB free for DATA_DIR, under READY_MIN_FREE_DISK_MB (${config.READY_MIN_FREE_DISK_MB})`);
      }
    },
    clickhouse: clickHouseProbe(() => deps.reports),
  };
}
