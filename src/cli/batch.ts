import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runCommissionBatch, StaleAsOfError } from '../batch/commission-batch';
import { ConfigError, readConfig } from '../runtime/config';
import { openSqlite } from '../store/sqlite/open-sqlite';

/**
 * `npm run batch [-- --as-of 2026-11-25T12:00:00Z]`: one commission batch run over the store
 * under DATA_DIR, with progress on the terminal and a summary. The server runs the same batch
 * every minute; run this while it is stopped, or call POST /v1/admin/batch instead.
 */
try {
  const { values } = parseArgs({ options: { 'as-of': { type: 'string' } } });
  const config = readConfig(process.env);
  const asOf = values['as-of'] ? new Date(values['as-of']) : new Date();
  if (Number.isNaN(asOf.getTime())) throw new ConfigError('--as-of: not a date-time');
  if (asOf.getTime() > Date.now()) throw new ConfigError('--as-of: must not be in the future');
  const store = openSqlite({ path: join(config.DATA_DIR, 'clickledger.sqlite'), synchronous: config.SQLITE_SYNCHRONOUS });
  const tty = process.stdout.isTTY;
  const report = await runCommissionBatch(store.db, asOf, (done, total) => {
    if (tty) process.stdout.write(`\r  orders ${done}/${total} (${Math.floor((done / total) * 100)}%)`);
    else console.log(`  orders ${done}/${total}`);
  });
  if (tty) process.stdout.write('\n');
  console.log(
    `batch as of ${report.asOf}: ${report.ordersExamined} orders examined, ${report.ordersChanged} changed, ` +
      `${report.entriesAppended} entries appended, ${report.statusChanges} status changes` +
      (report.skippedOtherCurrency ? `, ${report.skippedOtherCurrency} waiting for a currency conversion` : '') +
      ` in ${report.durationMs} ms`,
  );
  await store.close();
} catch (error) {
  console.error(error instanceof ConfigError || error instanceof StaleAsOfError ? error.message : error);
  process.exit(1);
}
