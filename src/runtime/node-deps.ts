import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import type { AppDeps, Logger } from '../core/deps';
import { createSqliteClickRecorder } from '../store/sqlite/sqlite-click-recorder';
import { createSqliteOrderIntake } from '../store/sqlite/sqlite-order-intake';
import { openSqlite, type SqliteStore } from '../store/sqlite/sqlite-open';
import type { Config } from './config';
import { nodeAssets } from './node-assets';
import { nodeCrypto } from './node-crypto';
import { nodeReadinessProbes } from './node-readiness';
import { loadClickSecrets } from './secrets-file';
import { join } from 'node:path';

export interface NodeDeps {
  deps: AppDeps;
  store: SqliteStore;
}

function socketAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? '';
  } catch {
    // No socket under app.request(): tests inject their own lookup when they need one.
    return '';
  }
}

/** What a store brings to the Node composition root; the rest is the same on SQLite and PostgreSQL. */
export type NodeStoreDeps = Pick<AppDeps, 'db' | 'clicks' | 'orderIntake' | 'writes' | 'rows' | 'clickSecrets' | 'healthy'>;

/** The Node composition root: SQLite file, group-committed clicks, node:crypto, env config. */
export function buildNodeDeps(config: Config, log: Logger): NodeDeps {
  const store = openSqlite({
    path: join(config.DATA_DIR, 'clickledger.sqlite'),
    synchronous: config.SQLITE_SYNCHRONOUS,
    checkpoint: 'background',
    onCheckpointError: (message) => log.error('background checkpoint failed', { error: message }),
  });
  const clock = { now: () => new Date() };
  const deps = nodeAppDeps(config, log, clock, {
    db: store.db,
    clicks: createSqliteClickRecorder(store.raw, { maxRemembered: config.UNIQUE_VISITORS_IN_MEMORY }),
    orderIntake: createSqliteOrderIntake(store.db, store.sync, clock),
    writes: store.writes,
    rows: store.rows,
    clickSecrets: loadClickSecrets(config.DATA_DIR, config.CLICK_SIGNING_KEYS),
    healthy: async () => {
      try {
        return store.raw.prepare('SELECT 1 AS ok').get() !== undefined;
      } catch {
        return false;
      }
    },
  });
  deps.readinessProbes = nodeReadinessProbes(store, deps, config);
  return { deps, store };
}

/** AppDeps on Node around a store's parts: HTTP details, crypto, config, logging. */
export function nodeAppDeps(config: Config, log: Logger, clock: { now(): Date }, store: NodeStoreDeps): AppDeps {
  const countryHeader = config.COUNTRY_HEADER.toLowerCase();
  return {
    ...store,
    clock,
    crypto: nodeCrypto,
    config: {
      publicUrl: config.PUBLIC_URL ?? `http://localhost:${config.PORT}`,
      bodyLimitBytes: config.BODY_LIMIT_BYTES,
      reportTimeoutSeconds: config.REPORT_TIMEOUT_SECONDS,
      authFailureLimit: config.AUTH_FAILURE_LIMIT,
      authFailureWindowSeconds: config.AUTH_FAILURE_WINDOW_SECONDS,
      webhookAllowPrivate: config.WEBHOOK_ALLOW_PRIVATE,
      heavyRequestsPerTenant: config.HEAVY_REQUESTS_PER_TENANT,
    },
    clientIp: (c) => {
      if (config.TRUST_PROXY) {
        const forwarded = c.req.header('x-forwarded-for');
        if (forwarded) return forwarded.split(',')[0]!.trim();
      }
      return socketAddress(c);
    },
    country: (c) => c.req.header(countryHeader) ?? '',
    defer: (_c, work) => {
      work.catch((error: unknown) => log.error('deferred work failed', { error: String(error) }));
    },
    log,
    assets: nodeAssets(),
  };
}
