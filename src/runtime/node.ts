import { createApp } from '../app/create-app';
import { runBatchJob } from '../batch/batch-job';
import { dispatchWebhooks, releaseClaims } from '../webhooks/webhook-dispatcher';
import { sendPendingMail } from '../mail/mail-outbox';
import { ClickHouseError } from '../clickhouse/clickhouse';
import { ensureAdminKey } from '../use-cases/api-keys';
import { readCommandLine } from '../cli/command';
import { ConfigError, readConfig } from './config';
import { claimDataDir, DataDirBusyError } from './data-dir-owner';
import { consoleLogger } from './logger';
import { buildNodeDeps } from './node-deps';
import { nodeMailTransport } from './node-mail';
import { buildPostgresNodeDeps } from './node-deps-postgres';
import { LEASES, withLease } from '../store/postgres/postgres-lease';
import { serveWithLimits } from './node-server';
import { openNodeReportStore } from './node-reports';

const startCommand = {
  invocation: 'npm start --',
  description:
    'Starts the clickledger server: the API, redirects and dashboards on PORT, the commission batch every\n' +
    'BATCH_INTERVAL_SECONDS, the store and chDB under DATA_DIR (which it owns while it runs).',
  options: {},
} as const;

/** `npm start`: the Node server on the embedded defaults. */
async function main() {
  readCommandLine(startCommand);
  let config;
  try {
    config = readConfig(process.env);
    // Before the store opens: one process owns DATA_DIR (the CLIs take the same lock).
    claimDataDir(config.DATA_DIR, 'server', 'give this one another DATA_DIR');
  } catch (error) {
    if (error instanceof ConfigError || error instanceof DataDirBusyError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const log = consoleLogger(config.LOG_FORMAT);
  const databaseUrl = config.DATABASE_URL;
  const { deps, store } = databaseUrl
    ? await buildPostgresNodeDeps({ ...config, DATABASE_URL: databaseUrl }, log)
    : buildNodeDeps(config, log);
  if (store.migrations.applied.length > 0) log.info(`migrations applied: ${store.migrations.applied.join(', ')}`);
  if (databaseUrl) {
    const url = new URL(databaseUrl);
    log.info(`store: PostgreSQL at ${url.host}${url.pathname}`);
    if (!config.CLICKHOUSE_URL) {
      // chDB keeps its data in this process: instances beside this one would each hold a copy.
      log.info(
        'reports: chDB is per process, so with DATABASE_URL only ONE instance may report; give every instance CLICKHOUSE_URL to run several (docs/operations.md, "Scaling out")',
      );
    }
  }
  try {
    deps.reports = await openNodeReportStore(config, deps.clock.now());
  } catch (error) {
    console.error(error instanceof ClickHouseError ? `ClickHouse: ${error.message}` : error);
    await store.close();
    process.exit(2);
  }
  log.info(
    config.CLICKHOUSE_URL
      ? `reports: ClickHouse at ${new URL(config.CLICKHOUSE_URL).host}, database ${config.CLICKHOUSE_DATABASE}`
      : `reports: chDB in-process, data in ${config.DATA_DIR}/clickhouse`,
  );
  const admin = await ensureAdminKey(deps, config.ADMIN_TOKEN);
  if (admin.refused) log.error(admin.refused);
  if (admin.generated) {
    console.log(
      `\nAdmin API key (shown once, stored only as a hash; set ADMIN_TOKEN to choose your own):\n  ${admin.generated}\n`,
    );
  }
  // This process owns DATA_DIR: a delivery still held is one a killed server was sending. It goes
  // again at once rather than after its lease (at least once, never lost).
  const released = await releaseClaims(deps);
  if (released > 0) log.info(`webhook deliveries interrupted by the last stop, sent again: ${released}`);
  const app = createApp(deps);
  const server = serveWithLimits(app.fetch, config, (port) => {
    log.info(`clickledger listening on http://localhost:${port} (data in ${config.DATA_DIR})`);
  });

  // The batch runs in-process: the server owns the SQLite file and the chDB data path. On
  // PostgreSQL the timers of all instances fire; one holding the batch lease runs it, the
  // others skip that turn (a killed holder's lease goes with its connection).
  const batchLease =
    'pool' in store
      ? <T>(work: () => Promise<T>) => withLease(store.pool, LEASES.batch, work)
      : <T>(work: () => Promise<T>) => work();
  const batchTimer =
    config.BATCH_INTERVAL_SECONDS > 0
      ? setInterval(() => {
          batchLease(() => runBatchJob(deps, deps.clock.now()))
            .then((report) => {
              if (!report) return;
              const exported = report.export ? report.export.clicks + report.export.orders + report.export.ledgerEntries : 0;
              if (report.entriesAppended > 0 || report.statusChanges > 0 || exported > 0) log.info('batch', { ...report });
            })
            .catch((error: unknown) => log.error('commission batch failed', { error: String(error) }));
        }, config.BATCH_INTERVAL_SECONDS * 1000)
      : undefined;
  batchTimer?.unref();
  // Webhooks and postbacks leave from the outbox on their own timer, never from a request.
  const webhookTimer =
    config.WEBHOOK_INTERVAL_SECONDS > 0
      ? setInterval(() => {
          dispatchWebhooks({ ...deps, allowPrivate: config.WEBHOOK_ALLOW_PRIVATE }).catch((error: unknown) =>
            log.error('webhook dispatch failed', { error: String(error) }),
          );
        }, config.WEBHOOK_INTERVAL_SECONDS * 1000)
      : undefined;
  webhookTimer?.unref();
  // Mail leaves from its outbox the same way: queued with its cause, sent by this timer.
  const mail = {
    ...deps,
    transport: nodeMailTransport({ smtpUrl: config.SMTP_URL, dataDir: config.DATA_DIR }),
    from: config.MAIL_FROM,
  };
  log.info(config.SMTP_URL ? `mail: SMTP at ${new URL(config.SMTP_URL).host}` : `mail: .eml files in ${config.DATA_DIR}/mail`);
  const mailTimer =
    config.MAIL_INTERVAL_SECONDS > 0
      ? setInterval(() => {
          sendPendingMail(mail).catch((error: unknown) => log.error('mail sending failed', { error: String(error) }));
        }, config.MAIL_INTERVAL_SECONDS * 1000)
      : undefined;
  mailTimer?.unref();

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: shutting down`);
    clearInterval(batchTimer);
    clearInterval(webhookTimer);
    clearInterval(mailTimer);
    const finish = async (code: number) => {
      await deps.clicks.flush();
      await deps.reports?.clickhouse.close();
      await store.close();
      process.exit(code);
    };
    server.close(() => void finish(0));
    // Keep-alive clients can hold close() open: after a grace period, cut them and still close
    // the store cleanly, but say so with the exit code.
    setTimeout(() => {
      log.error('connections still open after 5 s; closing them');
      server.closeAllConnections();
      void finish(1);
    }, 5000).unref();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
