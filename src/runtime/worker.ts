import { createApp, type App } from '../app/create-app';
import type { AppDeps } from '../core/deps';
import { runBatchJob } from '../batch/batch-job';
import { dispatchWebhooks } from '../webhooks/webhook-dispatcher';
import { httpMailTransport } from '../mail/http-mail-transport';
import { sendPendingMail } from '../mail/mail-outbox';
import { errorBody } from '../core/errors';
import { ensureAdminKey } from '../use-cases/api-keys';
import { writeClickBatch } from '../store/d1/d1-click-writer';
import type { MessageBatch } from '../store/d1/d1-types';
import type { ClickMessage } from '../store/d1/d1-click-recorder';
import { consoleLogger } from './logger';
import { buildWorkerDeps } from './worker-deps';
import { openWorkerReportStore } from './worker-reports';
import { readWorkerEnv, WorkerEnvError, type WorkerEnv } from './worker-env';

/**
 * The Cloudflare Workers entry: the same createApp as Node, built from bindings. Three
 * handlers: `fetch` (the API and the redirect), `queue` (the click consumer) and `scheduled`
 * (the commission batch on the cron in wrangler.toml).
 * With CLICKHOUSE_URL bound, reports read a ClickHouse server (@clickhouse/client-web) and the
 * cron batch exports to it after the commissions, exactly as on Node.
 */
interface ExecutionContextLike {
  waitUntil(promise: Promise<unknown>): void;
  passThroughOnException(): void;
}

interface ScheduledControllerLike {
  readonly scheduledTime: number;
  readonly cron: string;
}

let built: { raw: unknown; env: WorkerEnv; deps: AppDeps; app: App; reports?: Promise<void>; admin?: Promise<void> } | undefined;

/** Validates env and builds the app once per isolate (again only if the bindings change). */
function build(raw: Record<string, unknown>) {
  if (built?.raw !== raw) {
    const env = readWorkerEnv(raw);
    const deps = buildWorkerDeps(env);
    built = { raw, env, deps, app: createApp(deps) };
  }
  return built;
}

/**
 * Connects the report store once per isolate, on first need. A failure leaves reports unset
 * (their routes answer 503) and is tried again on the next request.
 */
function attachReports(worker: NonNullable<typeof built>): Promise<void> {
  if (!worker.env.CLICKHOUSE_URL || worker.deps.reports) return Promise.resolve();
  worker.reports ??= openWorkerReportStore(worker.env)
    .then((store) => {
      if (store) worker.deps.reports = store;
    })
    .catch((error: unknown) => {
      worker.reports = undefined;
      log.error('ClickHouse unavailable', { error: String(error) });
    });
  return worker.reports;
}

/**
 * Stores ADMIN_TOKEN as the admin key once per isolate, before its first request (Node does it
 * at start-up; a Worker has no start-up). A failure is logged and tried again on the next
 * request; meanwhile only admin calls are refused, the redirect and the rest carry on.
 */
function ensureAdmin(worker: NonNullable<typeof built>): Promise<void> {
  if (worker.env.ADMIN_TOKEN === undefined) return Promise.resolve();
  worker.admin ??= ensureAdminKey(worker.deps, worker.env.ADMIN_TOKEN).then(
    (outcome) => {
      if (outcome.refused) log.error(outcome.refused);
    },
    (error: unknown) => {
      worker.admin = undefined;
      log.error('admin key not stored', { error: String(error) });
    },
  );
  return worker.admin;
}

const log = consoleLogger('json');

export default {
  fetch(request: Request, env: Record<string, unknown>, ctx: ExecutionContextLike): Response | Promise<Response> {
    let worker;
    try {
      worker = build(env);
    } catch (error) {
      if (!(error instanceof WorkerEnvError)) throw error;
      log.error(error.message);
      return Response.json(errorBody('internal', 'the service is misconfigured'), { status: 500 });
    }
    const ready = [ensureAdmin(worker)];
    const path = new URL(request.url).pathname;
    if (worker.env.CLICKHOUSE_URL && !worker.deps.reports && (path.startsWith('/v1/reports') || path === '/readyz')) {
      ready.push(attachReports(worker));
    }
    return Promise.all(ready).then(() => worker.app.fetch(request, env, ctx as never));
  },

  /**
   * Click consumer: one D1 batch() per queue batch; a message is acked only once its row is
   * stored. A message this version cannot read is retried, not dropped: after max_retries it
   * waits in the dead-letter queue for a deploy that can.
   */
  async queue(batch: MessageBatch<ClickMessage>, env: Record<string, unknown>): Promise<void> {
    const { env: e } = build(env);
    const readable = batch.messages.filter((m) => m.body?.v === 1 && typeof m.body.click?.clickId === 'string');
    const { stored, failed } = await writeClickBatch(
      e.DB,
      readable.map((m) => m.body.click),
    );
    for (const message of batch.messages) {
      if (readable.includes(message) && stored.has(message.body.click.clickId)) message.ack();
      else message.retry({ delaySeconds: Math.min(60, 2 ** message.attempts) });
    }
    const unreadable = batch.messages.length - readable.length;
    if (failed.size > 0 || unreadable > 0) {
      log.error('clicks not written, retried', {
        failed: failed.size,
        unreadable,
        first: failed.size > 0 ? String([...failed.values()][0]) : undefined,
      });
    }
  },

  /**
   * The commission batch on the cron trigger, as of the trigger's own time (not the clock when
   * it happens to start, so a late or retried run computes the same statuses). Each chunk
   * commits with one D1 batch(); a run that fails is simply run again by the next trigger (P9).
   * A trigger that finds another run still going skips: the next one catches up.
   */
  async scheduled(controller: ScheduledControllerLike, env: Record<string, unknown>): Promise<void> {
    const worker = build(env);
    const { deps } = worker;
    await attachReports(worker);
    const asOf = new Date(controller.scheduledTime);
    const report = await deps.exclusiveBatch!(deps.clock.now(), () => runBatchJob(deps, asOf));
    if (!report) log.info('commission batch skipped: another run holds the lease', { asOf: asOf.toISOString() });
    else if (report.entriesAppended > 0 || report.statusChanges > 0) log.info('commission batch', { ...report });
    // Then the webhooks and postbacks due, the batch's commission events included; deliveries are
    // claimed one by one, so an overlapping trigger never sends the same attempt twice.
    const sent = await dispatchWebhooks({ ...deps, allowPrivate: deps.config.webhookAllowPrivate });
    if (sent.attempted > 0) log.info('webhooks', { ...sent });
    // Then the queued mail, when an HTTP mail API is configured; without one it stays pending.
    const { env: settings } = worker;
    if (settings.MAIL_API_URL) {
      const transport = httpMailTransport({
        url: settings.MAIL_API_URL,
        token: settings.MAIL_API_TOKEN,
        fetch: deps.fetch ?? fetch,
      });
      const mailed = await sendPendingMail({ ...deps, transport, from: settings.MAIL_FROM });
      if (mailed.attempted > 0) log.info('mail', { ...mailed });
    }
  },
};
