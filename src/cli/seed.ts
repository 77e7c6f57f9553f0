import { createApp } from '../app/create-app';
import { issueApiKey, revokeKey } from '../use-cases/api-keys';
import { SHOWCASE, seedDemoMonth } from '../demo/demo-month';
import { ConfigError, readConfig } from '../runtime/config';
import { consoleLogger } from '../runtime/logger';
import { nodeCrypto } from '../runtime/node-crypto';
import { buildNodeDeps } from '../runtime/node-deps';
import { openNodeReportStore } from '../runtime/node-reports';
import { ownDataDir, runCommand, UsageError } from './command';

/**
 * `npm run seed`: fills a fresh instance (DATA_DIR) with the demo month (two merchants, four
 * affiliates, three programs, about a thousand clicks a week, orders with refunds, cancellations
 * and held ones, a batch per day, two payout runs) through the app's own API, then prints the
 * keys to sign in to the dashboards with. The month is the 30 days ending now, so the dashboards'
 * default range shows all of it.
 */
const spec = {
  invocation: 'npm run seed --',
  description:
    'Fills a fresh DATA_DIR with a demo month through the API (two merchants, four affiliates, three programs,\n' +
    'clicks, orders with refunds, cancellations and held ones, a batch per day, two payout runs), then prints\n' +
    'the keys to sign in to the dashboards with. Run it before starting the server: the server owns DATA_DIR.',
  options: {
    force: { type: 'boolean', help: 'add the demo even though DATA_DIR already has merchants' },
    clicks: { type: 'string', value: '<n>', default: '12', help: 'clicks per link and day' },
  },
} as const;

const DEMO_IP_HEADER = 'x-demo-client-ip';

/**
 * The background checkpoint worker is unref'd: keep the loop alive until it has stopped, or Node
 * ends the process with the close still pending (exit code 13 instead of ours).
 */
async function whileAlive<T>(work: () => Promise<T>): Promise<T> {
  const keepAlive = setInterval(() => {}, 1000);
  try {
    return await work();
  } finally {
    clearInterval(keepAlive);
  }
}

await runCommand(spec, async (values) => {
  const clicksPerLinkDay = Number(values.clicks);
  if (!Number.isInteger(clicksPerLinkDay) || clicksPerLinkDay < 1)
    throw new UsageError('--clicks: not a whole number of 1 or more');
  const config = readConfig(process.env);
  ownDataDir(config, spec, 'seed another, fresh DATA_DIR');
  const log = consoleLogger(config.LOG_FORMAT);
  const { deps, store } = buildNodeDeps(config, log);
  const existing = await deps.db.selectFrom('merchants').select('id').executeTakeFirst();
  if (existing && !values.force) {
    await whileAlive(() => store.close());
    throw new ConfigError(
      `${config.DATA_DIR} already has merchants: seed a fresh DATA_DIR (or pass --force to add the demo anyway)`,
    );
  }
  let now = Date.now();
  // The demo replays a month: the app's one clock object (shared with the order intake) is
  // moved through it, and visitors' IPs come from a header since there is no socket.
  const clock = deps.clock as { now(): Date };
  clock.now = () => new Date(now);
  deps.clientIp = (c) => c.req.header(DEMO_IP_HEADER) ?? '';
  deps.reports = await openNodeReportStore(config, new Date());
  const end = new Date(now);
  now = end.getTime() - 31 * 24 * 3600 * 1000;
  // A short-lived admin key of its own, revoked at the end: the operator's key is never needed.
  const admin = await issueApiKey(deps, { role: 'admin' });
  const app = createApp(deps);
  console.log(`seeding the 30 days up to ${end.toISOString()} into ${config.DATA_DIR} …`);
  const accounts = await seedDemoMonth(
    {
      request: (path, init) => app.request(path, init),
      setNow: (date) => {
        now = date.getTime();
      },
      adminKey: admin.apiKey,
      ipHeader: DEMO_IP_HEADER,
      crypto: nodeCrypto,
    },
    { end, clicksPerLinkDay, log: (line) => console.log(line) },
  );
  now = Date.now();
  await revokeKey(deps, { keyId: admin.keyId, role: 'admin', merchantId: null, affiliateId: null }, admin.keyId);
  console.log(`
Demo data ready. Start the server (npm start) and open http://localhost:${config.PORT}/app, then sign in with
one of these keys (shown once; only their hashes are stored):

  merchant  ${accounts.merchant.name.padEnd(14)} ${accounts.merchant.apiKey}
  merchant  ${accounts.otherMerchant.name.padEnd(14)} ${accounts.otherMerchant.apiKey}
${accounts.affiliates.map((a) => `  affiliate ${a.name.padEnd(14)} ${a.apiKey}`).join('\n')}
  finance   ${''.padEnd(14)} ${accounts.finance.apiKey}

Each state, for Acme Outdoor (Orders, Held orders) and finance (Payout runs):
  held       ${SHOWCASE.held}      refunded  ${SHOWCASE.refunded}
  cancelled  ${SHOWCASE.cancelled} clawback  ${SHOWCASE.clawback} (refunded after its commission was paid)
  paid payout run ${accounts.paidRun}
`);
  await whileAlive(async () => {
    await deps.clicks.flush();
    await deps.reports!.clickhouse.close();
    await store.close();
  });
});
