import { join } from 'node:path';
import { runBatchJob } from '../batch/batch-job';
import { readConfig } from '../runtime/config';
import { consoleLogger } from '../runtime/logger';
import { openNodeReportStore } from '../runtime/node-reports';
import { openSqlite } from '../store/sqlite/sqlite-open';
import { ownDataDir, runCommand, UsageError } from './command';
import { createProgress } from './progress';

/**
 * `npm run batch`: one batch run over the store under DATA_DIR (commissions, then the export to
 * ClickHouse and its reconciliation), with progress on the terminal and a summary.
 */
const spec = {
  invocation: 'npm run batch --',
  description:
    'Runs the commission batch once over the store under DATA_DIR: commissions as of --as-of, then the\n' +
    'export to ClickHouse and its reconciliation. Exits 3 when the ledger totals differ. A running server\n' +
    'runs the same batch every minute and owns DATA_DIR: call POST /v1/admin/batch on it instead.',
  options: {
    'as-of': {
      type: 'string',
      value: '<date-time>',
      help: 'the batch as of this ISO date-time, not in the future (default now)',
    },
  },
} as const;

await runCommand(spec, async (values) => {
  const config = readConfig(process.env);
  const asOf = values['as-of'] ? new Date(values['as-of']) : new Date();
  if (Number.isNaN(asOf.getTime())) throw new UsageError('--as-of: not a date-time');
  if (asOf.getTime() > Date.now()) throw new UsageError('--as-of: must not be in the future');
  ownDataDir(config, spec, 'use POST /v1/admin/batch');
  const store = openSqlite({ path: join(config.DATA_DIR, 'clickledger.sqlite'), synchronous: config.SQLITE_SYNCHRONOUS });
  let reports;
  try {
    reports = await openNodeReportStore(config, new Date());
  } catch (error) {
    await store.close();
    throw error;
  }
  const log = consoleLogger(config.LOG_FORMAT);
  const progress = createProgress();
  const clicks = progress.stage('clicks to ClickHouse');
  const changes = progress.stage('changes to ClickHouse');
  const report = await runBatchJob({ db: store.db, reports, log, writes: store.writes, rows: store.rows }, asOf, {
    commissions: progress.stage('orders'),
    export: (stream, through, last) => (stream === 'clicks' ? clicks : changes)(through, last),
  });
  progress.end();
  console.log(
    `batch as of ${report.asOf}: ${report.ordersExamined} orders examined, ${report.ordersChanged} changed, ` +
      `${report.entriesAppended} entries appended, ${report.statusChanges} status changes` +
      (report.skippedOtherCurrency
        ? `, ${report.skippedOtherCurrency} waiting for a currency conversion (${report.waitingForRate.map((p) => `${p.from}→${p.to}`).join(', ')})`
        : '') +
      ` in ${report.durationMs} ms`,
  );
  if (report.export) {
    const e = report.export;
    console.log(
      `exported to ClickHouse: ${e.clicks} clicks, ${e.orders} orders, ${e.ledgerEntries} ledger entries in ${e.blocks} blocks, ${e.durationMs} ms; ` +
        (e.mismatches === 0 ? 'ledger totals reconcile' : `${e.mismatches} ledger totals DIFFER (see the log above)`),
    );
  }
  await reports.clickhouse.close();
  await store.close();
  return report.export && report.export.mismatches > 0 ? 3 : 0;
});
