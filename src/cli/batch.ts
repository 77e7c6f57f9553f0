import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runBatchJob } from '../batch/batch-job';
import { StaleAsOfError } from '../batch/commission-batch';
import { ClickHouseError } from '../clickhouse/clickhouse';
import { ConfigError, readConfig } from '../runtime/config';
import { consoleLogger } from '../runtime/logger';
import { openNodeReportStore } from '../runtime/node-reports';
import { openSqlite } from '../store/sqlite/sqlite-open';

/**
 * `npm run batch [-- --as-of 2026-11-25T12:00:00Z]`: one batch run over the store under DATA_DIR
 * (commissions, then the export to ClickHouse and its reconciliation), with progress on the
 * terminal and a summary. The server runs the same batch every minute and holds the chDB data
 * while it runs: stop it first, or call POST /v1/admin/batch instead.
 */
const tty = process.stdout.isTTY;
function progress(label: string) {
  return (done: number, total: number) => {
    const pct = total > 0 ? Math.floor((done / total) * 100) : 100;
    if (tty) process.stdout.write(`\r  ${label} ${done}/${total} (${pct}%)`);
    else console.log(`  ${label} ${done}/${total}`);
  };
}

try {
  const { values } = parseArgs({ options: { 'as-of': { type: 'string' } } });
  const config = readConfig(process.env);
  const asOf = values['as-of'] ? new Date(values['as-of']) : new Date();
  if (Number.isNaN(asOf.getTime())) throw new ConfigError('--as-of: not a date-time');
  if (asOf.getTime() > Date.now()) throw new ConfigError('--as-of: must not be in the future');
  const store = openSqlite({ path: join(config.DATA_DIR, 'clickledger.sqlite'), synchronous: config.SQLITE_SYNCHRONOUS });
  let reports;
  try {
    reports = await openNodeReportStore(config, new Date());
  } catch (error) {
    await store.close();
    throw error;
  }
  const log = consoleLogger(config.LOG_FORMAT);
  const report = await runBatchJob({ db: store.db, reports, log, writes: store.writes, rows: store.rows }, asOf, {
    commissions: progress('orders'),
    export: (stream, through, last) =>
      progress(stream === 'clicks' ? 'clicks to ClickHouse' : 'changes to ClickHouse')(through, last),
  });
  if (tty) process.stdout.write('\n');
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
  if (report.export && report.export.mismatches > 0) process.exit(3);
} catch (error) {
  console.error(
    error instanceof ConfigError || error instanceof StaleAsOfError || error instanceof ClickHouseError ? error.message : error,
  );
  process.exit(1);
}
