import { serve } from '@hono/node-server';
import { createApp } from '../app/create-app';
import { runCommissionBatch } from '../batch/commission-batch';
import { ensureAdminKey } from '../app/use-cases/api-keys';
import { ConfigError, readConfig } from './config';
import { consoleLogger } from './logger';
import { buildNodeDeps } from './node-deps';

/** `npm start`: the Node server on the embedded defaults. */
async function main() {
  let config;
  try {
    config = readConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const log = consoleLogger(config.LOG_FORMAT);
  const { deps, store } = buildNodeDeps(config, log);
  if (store.migrations.applied.length > 0) log.info(`migrations applied: ${store.migrations.applied.join(', ')}`);
  const admin = await ensureAdminKey(deps, config.ADMIN_TOKEN);
  if (admin.generated) {
    console.log(
      `\nAdmin API key (shown once, stored only as a hash; set ADMIN_TOKEN to choose your own):\n  ${admin.generated}\n`,
    );
  }
  const app = createApp(deps);
  const server = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, (info) => {
    log.info(`clickledger listening on http://localhost:${info.port} (data in ${config.DATA_DIR})`);
  });

  // The commission batch runs in-process (it owns the SQLite file with the server).
  const batchTimer =
    config.BATCH_INTERVAL_SECONDS > 0
      ? setInterval(() => {
          runCommissionBatch(deps.db, deps.clock.now())
            .then((report) => {
              if (report.entriesAppended > 0 || report.statusChanges > 0) log.info('commission batch', { ...report });
            })
            .catch((error: unknown) => log.error('commission batch failed', { error: String(error) }));
        }, config.BATCH_INTERVAL_SECONDS * 1000)
      : undefined;
  batchTimer?.unref();

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: shutting down`);
    clearInterval(batchTimer);
    const finish = async (code: number) => {
      await deps.clicks.flush();
      await store.close();
      process.exit(code);
    };
    server.close(() => void finish(0));
    // Keep-alive clients can hold close() open: after a grace period, cut them and still close
    // the store cleanly, but say so with the exit code.
    setTimeout(() => {
      log.error('connections still open after 5 s; closing them');
      (server as { closeAllConnections?: () => void }).closeAllConnections?.();
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
