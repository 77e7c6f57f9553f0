import { sql } from 'kysely';
import type { AppDeps, Logger } from '../core/deps';
import { clickHouseProbe } from '../clickhouse/readiness-probe';
import { createPostgresClickRecorder } from '../store/postgres/postgres-click-recorder';
import { openPostgres, type PostgresStore } from '../store/postgres/postgres-open';
import { createPostgresOrderIntake } from '../store/postgres/postgres-order-intake';
import type { Config } from './config';
import { nodeAppDeps } from './node-deps';
import { loadSharedClickSecrets } from './secrets-settings';

const PROBE_KEY = 'readiness_probe';

/**
 * The Node composition root on PostgreSQL (DATABASE_URL): the same app over a pool, several
 * instances sharing one database. Secrets live in the database (secrets-settings.ts).
 */
export async function buildPostgresNodeDeps(
  config: Config & { DATABASE_URL: string },
  log: Logger,
): Promise<{ deps: AppDeps; store: PostgresStore }> {
  const store = await openPostgres({ url: config.DATABASE_URL, maxConnections: config.DATABASE_POOL_SIZE });
  try {
    const clock = { now: () => new Date() };
    const deps = nodeAppDeps(config, log, clock, {
      db: store.db,
      clicks: createPostgresClickRecorder(store.pool),
      orderIntake: createPostgresOrderIntake(store.pool, clock),
      writes: store.writes,
      rows: store.rows,
      clickSecrets: await loadSharedClickSecrets(store.db, config.CLICK_SIGNING_KEYS),
      healthy: async () => {
        try {
          await sql`SELECT 1`.execute(store.db);
          return true;
        } catch {
          return false;
        }
      },
    });
    // A real write, as on SQLite: a database that still answers reads can refuse writes.
    deps.readinessProbes = {
      store: async () => {
        await store.db
          .insertInto('settings')
          .values({ key: PROBE_KEY, value: clock.now().toISOString() })
          .onConflict((oc) => oc.column('key').doUpdateSet((eb) => ({ value: eb.ref('excluded.value') })))
          .execute();
      },
      clickhouse: clickHouseProbe(() => deps.reports),
    };
    return { deps, store };
  } catch (error) {
    await store.close();
    throw error;
  }
}
