import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ClickHouseError } from '../clickhouse/clickhouse';
import { formatId } from '../domain/ids';
import { formatMoney } from '../domain/money';
import { reconcile } from '../reports/reconciliation';
import { ConfigError, readConfig } from '../runtime/config';
import { openNodeReportStore } from '../runtime/node-reports';
import { openSqlite } from '../store/sqlite/sqlite-open';

/**
 * `npm run reconcile [-- --from 2026-11-01 --to 2026-11-30]`: ledger totals per program, UTC day
 * and status in the SQL store against ClickHouse (P11), and the orders whose click id did not
 * attribute. Exits 3 when anything differs. While the server holds the chDB data, ask it instead:
 * GET /v1/reports/reconciliation with a merchant key.
 */
try {
  const { values } = parseArgs({ options: { from: { type: 'string' }, to: { type: 'string' } } });
  const today = new Date().toISOString().slice(0, 10);
  const to = values.to ?? today;
  const from = values.from ?? new Date(Date.parse(to) - 29 * 86_400_000).toISOString().slice(0, 10);
  for (const [name, value] of [
    ['--from', from],
    ['--to', to],
  ] as const) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(value)))
      throw new ConfigError(`${name}: not a date (YYYY-MM-DD)`);
  }
  const config = readConfig(process.env);
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
  if (result.mismatches > 0) process.exit(3);
} catch (error) {
  console.error(error instanceof ConfigError || error instanceof ClickHouseError ? error.message : error);
  process.exit(1);
}
