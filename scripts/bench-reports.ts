/**
 * `npm run bench:reports [-- --clicks 10000000 --orders 500000 --export-clicks 300000 --runs 15 --keep DIR]`
 *
 * Issue 5's goal: the 30-day summary over 10M clicks and 500k orders answers in p50 < 100 ms on
 * this machine, on chDB in-process.
 *
 *  1. Loads the facts into a fresh chDB database with the real DDL (sql/clickhouse/): clicks over
 *     30 days in 20 programs, 2,000 affiliates and 20,000 links (each link one affiliate's in one
 *     program), 5% bots, through clicks_v1 and its
 *     materialized views into the hourly and daily rollups; orders with a second version for 10%
 *     of them (so FINAL has work to do); one ledger entry per order plus a refund adjustment for
 *     10%; then the daily order and commission snapshot, as each export ends. The rows are
 *     generated inside ClickHouse (INSERT … SELECT FROM numbers()), not sent from JS: this part
 *     measures the reads. The click rollups are then merged once (OPTIMIZE FINAL), the state
 *     background merges bring past days to; orders and ledger keep their second versions for
 *     FINAL to fold where a report reads them (other zones, links, sub-ids).
 *  2. Times `summaryReport` (the code behind GET /v1/reports/summary, JSON parsing and zod
 *     included) for a merchant with 5 of the 20 programs, grouped by day and by affiliate (UTC:
 *     the daily rollups), plus Europe/Berlin (hourly rollup and FINAL), an affiliate's own report,
 *     a sub-id report (raw clicks, FINAL), a half-hour time zone, and a UTC report right after new
 *     versions of recent orders arrived, before the snapshot caught up (those days read unrolled).
 *     Each `--runs` times after two warm-ups; prints p50 and p95.
 *  3. The export: `--export-clicks` clicks written into a fresh SQLite store, then the real
 *     outbox export (`exportToClickHouse`) into another database; prints rows/s.
 *
 * `--keep DIR` loads into DIR once and reuses it while the counts and sql/clickhouse/ are
 * unchanged (anything else wipes and reloads it), so experiments skip the minute of loading.
 * Without it every run loads a fresh temporary directory and removes it: the honest figure.
 * A kept database may have merged more since its load; the part counts printed show that.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { openChdb } from '../src/clickhouse/chdb-driver';
import type { ClickHouse } from '../src/clickhouse/clickhouse';
import { readClickHouseDdl } from '../src/clickhouse/ddl-files';
import { applyClickHouseSchema } from '../src/clickhouse/schema';
import { exportToClickHouse } from '../src/reports/clickhouse-export';
import { refreshReportDays } from '../src/reports/report-days';
import { type SummaryQuery, summaryReport } from '../src/reports/summary-report';
import { openSqlite } from '../src/store/sqlite/sqlite-open';

const { values } = parseArgs({
  options: {
    clicks: { type: 'string' },
    orders: { type: 'string' },
    'export-clicks': { type: 'string' },
    runs: { type: 'string' },
    keep: { type: 'string' },
  },
});
const CLICKS = Number(values.clicks ?? 10_000_000);
const ORDERS = Number(values.orders ?? 500_000);
const EXPORT_CLICKS = Number(values['export-clicks'] ?? 300_000);
const RUNS = Number(values.runs ?? 15);

const KEEP = values.keep;
const dir = KEEP ?? mkdtempSync(join(tmpdir(), 'clickledger-bench-reports-'));
// What a kept database was loaded with: the counts and the DDL it was loaded through.
const loadedWith = JSON.stringify({
  clicks: CLICKS,
  orders: ORDERS,
  ddl: createHash('sha256').update(JSON.stringify(readClickHouseDdl())).digest('hex'),
});
const marker = join(dir, 'loaded.json');
const reuse = KEEP !== undefined && existsSync(marker) && readFileSync(marker, 'utf8') === loadedWith;
if (KEEP !== undefined && !reuse) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
}
const ch = openChdb({ path: join(dir, 'chdb'), database: 'bench' });
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  process.stdout.write(`  ${label}…`);
  const result = await work();
  process.stdout.write(` ${seconds(performance.now() - started)}\n`);
  return result;
}

// Deterministic pseudo-random columns from the row number: the same data on every run.
const h = (n: number) => `cityHash64(number, ${n})`;
const pick = (list: string[], n: number) => `[${list.map((v) => `'${v}'`).join(',')}][1 + ${h(n)} % ${list.length}]`;
const dims = `${pick(['DE', 'FR', 'US', 'GB', 'NL', 'ES', 'IT', 'PL'], 7)} AS country, ${pick(['desktop', 'mobile', 'tablet'], 8)} AS device,
  ${pick(['Chrome', 'Safari', 'Firefox', 'Edge'], 9)} AS browser, ${pick(['Windows', 'iOS', 'Android', 'macOS', 'Linux'], 10)} AS os,
  concat('s', toString(${h(11)} % 50)) AS sub1, '' AS sub2, '' AS sub3, '' AS sub4, '' AS sub5`;
const within30Days = (n: number) =>
  `toDateTime64('2026-10-27 00:00:00', 3, 'UTC') + toIntervalMillisecond(${h(n)} % ${30 * 86_400_000})`;
// A link belongs to one affiliate in one program, as in the store: both follow from the link.
const scope = `1 + ${h(4)} % 20000 AS link_id, 1 + link_id % 2000 AS affiliate_id, 1 + link_id % 20 AS program_id`;

/** An order's columns but its state, at `version` (an SQL expression). */
const orderColumns = (
  version: string,
) => `number AS order_id, ${version} AS version, concat('o', toString(number)) AS external_id, ${scope},
    '' AS click_id, '' AS coupon_code, 'click' AS attribution_method, ${within30Days(1)} AS placed_at`;

/**
 * New versions of 2% of the orders of the last three days, as an export sends them, before the
 * daily snapshot has taken them in: those days are then read from the versioned tables.
 */
async function changeRecentOrders(db: ClickHouse) {
  const [top] = await db.query('SELECT toString(max(version)) AS v FROM orders_v1', {}, z.object({ v: z.string() }));
  await db.command(
    `INSERT INTO orders_v1 (order_id, version, external_id, link_id, affiliate_id, program_id, click_id, coupon_code, attribution_method, placed_at,
       status, revenue_minor, currency, country, device, browser, os, sub1, sub2, sub3, sub4, sub5)
     SELECT ${orderColumns('{version:UInt64}')}, 'refunded' AS status, 0 AS revenue_minor,
       'EUR' AS currency, ${dims} FROM numbers({n:UInt64}) WHERE number % 50 = 0 AND placed_at >= toDateTime64('2026-11-23 00:00:00', 3, 'UTC')`,
    { n: ORDERS, version: String(BigInt(top!.v) + 1n) },
  );
}

async function load(db: ClickHouse) {
  console.log(`loading ${CLICKS.toLocaleString('en')} clicks and ${ORDERS.toLocaleString('en')} orders into chDB (${dir})`);
  await timed('clicks (and the hourly rollup through its materialized view)', () =>
    db.command(
      `INSERT INTO clicks_v1 (click_id, clicked_at, link_id, affiliate_id, program_id, currency, is_bot, is_unique, country, device, browser, os,
         sub1, sub2, sub3, sub4, sub5)
       SELECT concat('c', toString(number)) AS click_id, ${within30Days(1)} AS clicked_at, ${scope}, 'EUR' AS currency,
         ${h(5)} % 100 < 5 AS is_bot, ${h(6)} % 100 < 60 AS is_unique, ${dims} FROM numbers({n:UInt64})`,
      { n: CLICKS },
    ),
  );
  await timed('orders', () =>
    db.command(
      `INSERT INTO orders_v1 (order_id, version, external_id, link_id, affiliate_id, program_id, click_id, coupon_code, attribution_method, placed_at,
         status, revenue_minor, currency, country, device, browser, os, sub1, sub2, sub3, sub4, sub5)
       SELECT ${orderColumns('1')}, ${pick(['paid', 'paid', 'completed', 'completed', 'completed', 'refunded', 'cancelled'], 12)} AS status,
         1000 + ${h(13)} % 50000 AS revenue_minor, 'EUR' AS currency, ${dims} FROM numbers({n:UInt64})`,
      { n: ORDERS },
    ),
  );
  await timed('second versions of 10% of the orders', () =>
    db.command(
      `INSERT INTO orders_v1 (order_id, version, external_id, link_id, affiliate_id, program_id, click_id, coupon_code, attribution_method, placed_at,
         status, revenue_minor, currency, country, device, browser, os, sub1, sub2, sub3, sub4, sub5)
       SELECT ${orderColumns('2')}, 'completed' AS status, 1000 + ${h(13)} % 50000 AS revenue_minor,
         'EUR' AS currency, ${dims} FROM numbers({n:UInt64}) WHERE number % 10 = 0`,
      { n: ORDERS },
    ),
  );
  await timed('ledger entries (one per order, a refund adjustment for 10%)', () =>
    db.command(
      `INSERT INTO ledger_entries_v1 (entry_id, version, order_id, link_id, affiliate_id, program_id, placed_at, created_at, kind, status, amount_minor,
         currency, country, device, browser, os, sub1, sub2, sub3, sub4, sub5)
       SELECT concat(toString(number % {orders:UInt64}), ':', toString(intDiv(number, {orders:UInt64}))) AS entry_id, 1 AS version,
         number % {orders:UInt64} AS order_id, ${scope.replaceAll('number', 'number % {orders:UInt64}')}, ${within30Days(1).replaceAll('number', 'number % {orders:UInt64}')} AS placed_at,
         placed_at AS created_at, if(number < {orders:UInt64}, 'accrual', 'adjustment') AS kind,
         ${pick(['pending', 'approved', 'approved', 'paid'], 14)} AS status,
         if(number < {orders:UInt64}, 80 + ${h(13)} % 4000, -(${h(15)} % 80)) AS amount_minor, 'EUR' AS currency, ${dims.replaceAll('number', 'number % {orders:UInt64}')}
       FROM numbers({n:UInt64}) WHERE number < {orders:UInt64} OR (number % {orders:UInt64}) % 10 = 1`,
      { n: ORDERS * 2, orders: ORDERS },
    ),
  );
  await timed('the daily order and commission snapshot (as each export ends)', () => refreshReportDays(db));
  // One 10M-row INSERT leaves the hourly rollup as ten 1M-row blocks summed separately (5M rows
  // for 1.4M keys; the daily one likewise); in service, blocks of 20k clicks arrive each minute
  // and background merges fold past days together. Merge once, as those merges would have by
  // the time anyone reads a month.
  await timed('merging the click rollups (OPTIMIZE … FINAL, as background merges would)', async () => {
    await db.command('OPTIMIZE TABLE click_hours_v1 FINAL');
    await db.command('OPTIMIZE TABLE click_days_v1 FINAL');
  });
}

function percentile(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function timeReport(label: string, q: SummaryQuery) {
  for (let i = 0; i < 2; i++) await summaryReport(ch, q);
  const times: number[] = [];
  let rows = 0;
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    rows = (await summaryReport(ch, q)).rows.length;
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  console.log(
    `  ${label.padEnd(52)} p50 ${percentile(times, 50).toFixed(1).padStart(7)} ms   p95 ${percentile(times, 95).toFixed(1).padStart(7)} ms   ${rows} rows`,
  );
  return percentile(times, 50);
}

async function exportBench() {
  console.log(`\nexport: ${EXPORT_CLICKS.toLocaleString('en')} clicks from SQLite through the outbox export`);
  const storeDir = mkdtempSync(join(dir, 'export-'));
  const store = openSqlite({ path: join(storeDir, 'store.sqlite'), synchronous: 'NORMAL' });
  const target = openChdb({ path: join(dir, 'chdb'), database: 'bench_export' });
  const targetId = await applyClickHouseSchema(target, readClickHouseDdl(), 'bench-export', new Date());
  const now = '2026-11-25T00:00:00.000Z';
  store.raw.prepare("INSERT INTO merchants (id, name, created_at) VALUES (1, 'Bench', ?)").run(now);
  store.raw
    .prepare(
      `INSERT INTO programs (id, merchant_id, name, landing_url, allowed_domains, currency, cookie_days, lock_days, plan, created_at, updated_at)
       VALUES (1, 1, 'Bench', 'https://shop.example/', '["shop.example"]', 'EUR', 30, 14, '{"default":{"percent":"8"}}', ?, ?)`,
    )
    .run(now, now);
  const insert = store.raw.prepare(
    `INSERT INTO clicks (click_id, link_id, program_id, affiliate_id, clicked_at, ip_hash, visitor_hash, user_agent_id, browser, os, device, is_bot,
       is_unique, country, referer_host, sub1) VALUES (?, ?, 1, ?, ?, 'ip', 'visitor', 0, 'Chrome', 'Windows', 'desktop', 0, 1, 'DE', '', ?)`,
  );
  store.raw.transaction(() => {
    for (let i = 0; i < EXPORT_CLICKS; i++) {
      insert.run(`clid_${i}`, 1 + (i % 500), 1 + (i % 200), new Date(Date.parse(now) + i * 1000).toISOString(), `s${i % 50}`);
    }
  })();
  const started = performance.now();
  const report = await exportToClickHouse(store.db, target, targetId, (_stream, through, last) => {
    if (process.stdout.isTTY) process.stdout.write(`\r  exported ${through}/${last}`);
  });
  const ms = performance.now() - started;
  if (process.stdout.isTTY) process.stdout.write('\n');
  console.log(
    `  ${report.clicks.toLocaleString('en')} clicks in ${report.blocks} blocks: ${seconds(ms)}, ${Math.round(report.clicks / (ms / 1000)).toLocaleString('en')} clicks/s`,
  );
  await target.close();
  await store.close();
  rmSync(storeDir, { recursive: true, force: true });
}

try {
  await applyClickHouseSchema(ch, readClickHouseDdl(), 'bench', new Date());
  if (reuse) console.log(`reusing the database loaded in ${dir}`);
  else {
    await load(ch);
    if (KEEP !== undefined) writeFileSync(marker, loadedWith);
  }
  const parts = await ch.query(
    `SELECT table, toString(count()) AS parts FROM system.parts WHERE database = currentDatabase() AND active GROUP BY table ORDER BY table`,
    {},
    z.object({ table: z.string(), parts: z.string() }),
  );
  console.log(`active parts: ${parts.map((p) => `${p.table} ${p.parts}`).join(', ')}`);
  const base: SummaryQuery = {
    from: '2026-10-27',
    to: '2026-11-25',
    tz: 'UTC',
    groupBy: 'day',
    programIds: [1, 2, 3, 4, 5],
    affiliateId: null,
    linkId: null,
    wholeHourZone: true,
    maxExecutionSeconds: 30,
  };
  console.log(
    `\n30-day summaries (${RUNS} runs each; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')})`,
  );
  const byDay = await timeReport('merchant (5 of 20 programs), by day', base);
  const byAffiliate = await timeReport('merchant, by affiliate', { ...base, groupBy: 'affiliate' });
  await timeReport('merchant, by day, Europe/Berlin', { ...base, tz: 'Europe/Berlin' });
  await timeReport('affiliate (own rows, all programs), by day', { ...base, programIds: null, affiliateId: 42 });
  await timeReport('merchant, by sub1 (raw clicks)', { ...base, groupBy: 'sub1' });
  await timeReport('merchant, by day, Asia/Kolkata (raw clicks)', { ...base, tz: 'Asia/Kolkata', wholeHourZone: false });
  await timeReport('merchant, by link (raw clicks)', { ...base, groupBy: 'link' });
  await timeReport('all 20 programs, by day', { ...base, programIds: null });
  await changeRecentOrders(ch);
  await timeReport('merchant, by day, 3 days changed since the snapshot', base);
  await timed('the snapshot catching up (3 days)', () => refreshReportDays(ch));
  console.log(
    `\ngoal p50 < 100 ms: by day ${byDay < 100 ? 'met' : 'MISSED'} (${byDay.toFixed(1)} ms), by affiliate ${byAffiliate < 100 ? 'met' : 'MISSED'} (${byAffiliate.toFixed(1)} ms)`,
  );
  // A kept directory holds the last run's export; this one starts empty.
  await ch.command('DROP DATABASE IF EXISTS bench_export');
  await ch.close();
  await exportBench();
} finally {
  if (KEEP === undefined) rmSync(dir, { recursive: true, force: true });
}
