import { join } from 'node:path';
import { formatId } from '../domain/ids';
import { formatMoney } from '../domain/money';
import { reconcile } from '../reports/reconciliation';
import { readConfig } from '../runtime/config';
import { openNodeReportStore } from '../runtime/node-reports';
import { openSqlite } from '../store/sqlite/sqlite-open';
import { ownDataDir, runCommand, UsageError } from './command';

/**
 * `npm run reconcile`: ledger totals per program, UTC day and status in the SQL store against
 * ClickHouse (P11), and the orders whose click id did not attribute. Exits 3 when anything differs.
 */
const spec = {
  invocation: 'npm run reconcile --',
  description:
    'Compares the ledger totals per program, UTC day and status in the store under DATA_DIR with ClickHouse,\n' +
    'and lists orders whose click id did not attribute. Exits 3 when any total differs. A running server owns\n' +
    'DATA_DIR: ask it instead, GET /v1/reports/reconciliation with a merchant key.',
  options: {
    from: { type: 'string', value: '<YYYY-MM-DD>', help: 'first UTC day (default 29 days before --to)' },
    to: { type: 'string', value: '<YYYY-MM-DD>', help: 'last UTC day (default today)' },
  },
} as const;

await runCommand(spec, async (values) => {
  const day = (name: string, value: string) => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(value)))
      throw new UsageError(`${name}: not a date (YYYY-MM-DD)`);
    return value;
  };
  const to = day('--to', values.to ?? new Date().toISOString().slice(0, 10));
  const from = day('--from', values.from ?? new Date(Date.parse(to) - 29 * 86_400_000).toISOString().slice(0, 10));
  const config = readConfig(process.env);
  ownDataDir(config, spec, 'use GET /v1/reports/reconciliation with a merchant key');
  const store = openSqlite({ path: join(config.DATA_DIR, 'clickledger.sqlite'), synchronous: config.SQLITE_SYNCHRONOUS });
  const reports = await openNodeReportStore(config, new Date()).catch(async (error: unknown) => {
    await store.close();
    throw error;
  });
  const programs = await store.db.selectFrom('programs').select('id').execute();
  const result = await reconcile(store.db, reports.clickhouse, reports.targetId, {
    programIds: programs.map((p) => p.id),
    from,
    to,
  });
  console.log(`reconciliation ${from} … ${to} (UTC days), ${programs.length} programs:`);
  for (const r of result.ledger) {
    const money = (minor: number) => formatMoney({ minor, currency: r.currency });
    const mark = r.matches ? '  ' : '!!';
    console.log(
      `${mark} ${formatId('program', r.programId)} ${r.day} ${r.status.padEnd(8)} SQL ${money(r.sqlMinor).padStart(14)} (${r.sqlEntries}) ` +
        `ClickHouse ${money(r.clickhouseMinor).padStart(14)} (${r.clickhouseEntries}) ${r.currency}` +
        (r.matches ? '' : `  difference ${money(r.sqlMinor - r.clickhouseMinor)}`),
    );
  }
  for (const u of result.unattributedClicks) {
    console.log(
      `   ${formatId('program', u.programId)} ${u.day} ${u.orders} orders with a click id that did not attribute: ${u.reason}`,
    );
  }
  console.log(
    result.mismatches === 0
      ? `all ${result.ledger.length} totals match`
      : `${result.mismatches} of ${result.ledger.length} totals DIFFER` +
          (result.changesInFlight > 0 ? ` (${result.changesInFlight} changes not exported yet: run the batch)` : ''),
  );
  await reports.clickhouse.close();
  await store.close();
  return result.mismatches > 0 ? 3 : 0;
});
