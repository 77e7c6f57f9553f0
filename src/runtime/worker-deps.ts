import type { Context } from 'hono';
import type { AppDeps, ClickSecrets } from '../core/deps';
import { clickHouseProbe } from '../clickhouse/readiness-probe';
import { withBatchLease } from '../store/d1/d1-batch-lease';
import { createD1OrderIntake } from '../store/d1/d1-order-intake';
import { d1RowReader } from '../store/d1/d1-row-reader';
import { d1AtomicWrites } from '../store/d1/d1-atomic-writes';
import { openD1 } from '../store/d1/d1-open';
import { createQueueClickRecorder } from '../store/d1/d1-click-recorder';
import { parseSigningKeys } from './config';
import { consoleLogger } from './logger';
import { workerAssets } from './worker-assets';
import { workerCrypto } from './worker-crypto';
import type { WorkerEnv } from './worker-env';

/** Cloudflare puts the visitor's country on the request (`request.cf.country`). */
function cfCountry(c: Context): string {
  const cf = (c.req.raw as Request & { cf?: { country?: unknown } }).cf;
  return typeof cf?.country === 'string' ? cf.country : (c.req.header('cf-ipcountry') ?? '');
}

function clickSecrets(env: WorkerEnv): ClickSecrets {
  const clickKeys = parseSigningKeys(env.CLICK_SIGNING_KEYS);
  const encoder = new TextEncoder();
  return {
    signingKeyId: clickKeys[0]!.id,
    keys: new Map(clickKeys.map((k) => [k.id, encoder.encode(k.secret)])),
    visitorKey: encoder.encode(env.VISITOR_HASH_KEY),
  };
}

/**
 * The Workers composition root: D1 through Kysely, multi-row writes as D1 batch()es, clicks
 * through the queue, secrets from bindings, the visitor from Cloudflare's own headers, the
 * chart from the assets binding. Built once per isolate and env.
 */
export function buildWorkerDeps(env: WorkerEnv): AppDeps {
  const clock = { now: () => new Date() };
  const log = consoleLogger('json');
  const deps: AppDeps = {
    db: openD1(env.DB),
    clicks: createQueueClickRecorder(env.CLICKS),
    orderIntake: createD1OrderIntake(env.DB, clock),
    writes: d1AtomicWrites(env.DB),
    rows: d1RowReader(env.DB),
    clock,
    crypto: workerCrypto,
    clickSecrets: clickSecrets(env),
    config: {
      publicUrl: env.PUBLIC_URL,
      bodyLimitBytes: env.BODY_LIMIT_BYTES,
      reportTimeoutSeconds: env.REPORT_TIMEOUT_SECONDS,
      authFailureLimit: env.AUTH_FAILURE_LIMIT,
      authFailureWindowSeconds: env.AUTH_FAILURE_WINDOW_SECONDS,
      webhookAllowPrivate: env.WEBHOOK_ALLOW_PRIVATE,
    },
    // Set by Cloudflare's edge on every request; a client cannot forge it there.
    clientIp: (c) => c.req.header('cf-connecting-ip') ?? '',
    country: cfCountry,
    defer: (c, work) =>
      c.executionCtx.waitUntil(work.catch((error: unknown) => log.error('deferred work failed', { error: String(error) }))),
    log,
    ...(env.ASSETS ? { assets: workerAssets(env.ASSETS) } : {}),
    exclusiveBatch: (now, work) => withBatchLease(env.DB, now, work),
    healthy: async () => {
      try {
        return (await env.DB.prepare('SELECT 1 AS ok').first()) !== null;
      } catch {
        return false;
      }
    },
  };
  // D1 is read, not written: a write per probe would be billed and would contend with the
  // database's single writer, and D1 has no disk of ours to watch. ClickHouse only when bound.
  deps.readinessProbes = {
    store: async () => {
      await deps.db.selectFrom('settings').select('key').limit(1).execute();
    },
    ...(env.CLICKHOUSE_URL ? { clickhouse: clickHouseProbe(() => deps.reports) } : {}),
  };
  return deps;
}
