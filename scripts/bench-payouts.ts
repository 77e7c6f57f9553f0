/**
 * `npm run bench:payouts [-- --affiliates 100000 --entries 3]`: a payout run and its CSV over
 * N affiliates with approved entries, on a fresh SQLite store. Prints the time to create the
 * run, the time to stream the CSV, and the peak RSS / heap while streaming (flat memory: the
 * CSV is written a page at a time), and the time of the run's detail view (`--affiliates 1
 * --entries 15000` puts every entry on one line). Goal: 100k affiliates in < 3 s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LAST_AS_OF } from '../src/batch/commission-batch';
import { parseId } from '../src/domain/ids';
import { payoutCsvStream } from '../src/payouts/payout-csv';
import { createPayout, getPayout } from '../src/payouts/payout-runs';
import { openSqlite } from '../src/store/sqlite/sqlite-open';

const { values } = parseArgs({
  options: { affiliates: { type: 'string', default: '100000' }, entries: { type: 'string', default: '3' } },
});
const affiliates = Number(values.affiliates);
const perAffiliate = Number(values.entries);
const dir = mkdtempSync(join(tmpdir(), 'bench-payouts-'));
// Opened as the server opens its store (POST /v1/payouts runs there): WAL checkpoints on a worker
// thread, not after the run's commit on the event loop.
const store = openSqlite({ path: join(dir, 'clickledger.sqlite'), synchronous: 'NORMAL', checkpoint: 'background' });
const raw = store.raw;
const asOf = '2026-11-20T00:00:00.000Z';

console.log(`seeding ${affiliates.toLocaleString()} affiliates × ${perAffiliate} approved entries…`);
const seedStart = performance.now();
raw.prepare("INSERT INTO merchants (id, name, created_at) VALUES (1, 'm', ?)").run(asOf);
raw
  .prepare(
    "INSERT INTO programs (id, merchant_id, name, landing_url, allowed_domains, currency, cookie_days, lock_days, plan, status, created_at, updated_at) VALUES (1, 1, 'p', 'https://shop.example/', '[\"shop.example\"]', 'EUR', 30, 14, '{\"default\":{\"percent\":\"8\"}}', 'active', ?, ?)",
  )
  .run(asOf, asOf);
const insertAffiliate = raw.prepare(
  "INSERT INTO affiliates (id, name, email, created_at, payout_method, payout_details) VALUES (?, ?, ?, ?, 'paypal', ?)",
);
const insertOrder = raw.prepare(
  "INSERT INTO orders (id, merchant_id, program_id, external_id, currency, placed_at, attribution_method, attribution_reason, affiliate_id, held, receipt, status, snapshot, snapshot_at, revenue_minor, refunded_minor, created_at, updated_at) VALUES (?, 1, 1, ?, 'EUR', ?, 'click', 'valid_click', ?, 0, '{}', 'completed', '{}', ?, 10000, 0, ?, ?)",
);
const insertEntry = raw.prepare(
  "INSERT INTO ledger_entries (entry_id, order_id, program_id, affiliate_id, slot, line_index, kind, status, amount_minor, currency, rule, plan_version, explanation, as_of, created_at, status_changed_at) VALUES (?, ?, 1, ?, ?, ?, 'accrual', 'approved', ?, 'EUR', 'default', 1, 'bench', ?, ?, ?)",
);
const seed = raw.transaction((from: number, to: number) => {
  for (let a = from; a < to; a++) {
    insertAffiliate.run(a, `Affiliate ${a}`, `a${a}@example.com`, asOf, JSON.stringify({ email: `a${a}@example.com` }));
    insertOrder.run(a, `O-${a}`, asOf, a, asOf, asOf, asOf);
    for (let e = 0; e < perAffiliate; e++)
      insertEntry.run(`${a}:line:${e}:${a}:1`, a, a, `line:${e}`, e, 500 + ((a * 7 + e) % 5000), asOf, asOf, asOf);
  }
});
for (let a = 1; a <= affiliates; a += 10_000) {
  seed(a, Math.min(a + 10_000, affiliates + 1));
  process.stdout.write(`\r  ${Math.min(a + 9_999, affiliates).toLocaleString()} / ${affiliates.toLocaleString()}`);
}
raw.prepare('INSERT INTO settings (key, value) VALUES (?, ?)').run(LAST_AS_OF, asOf);
console.log(`\n  seeded in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);

const clock = { now: () => new Date('2026-11-21T00:00:00Z') };
let start = performance.now();
const run = await createPayout({ db: store.db, writes: store.writes, clock }, { asOf, minimumAmount: '10.00' });
const createMs = performance.now() - start;
console.log(
  `payout run ${run.id}: ${run.affiliates.toLocaleString()} affiliates, total ${JSON.stringify(run.total)}, created in ${createMs.toFixed(0)} ms`,
);

// The run's detail (GET /v1/payouts/:id) on the event loop: linear in entries, or a stall of
// every redirect (it was quadratic: 7 s at 15k entries of one affiliate).
start = performance.now();
const detail = await getPayout({ db: store.db }, parseId('payout', run.id));
const detailMs = performance.now() - start;
console.log(
  `run detail: ${detail.lines.length.toLocaleString()} lines, ${detail.lines.reduce((n, l) => n + l.entries.length, 0).toLocaleString()} entries in ${detailMs.toFixed(0)} ms`,
);

let peakRss = 0;
let peakHeap = 0;
const sample = () => {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed);
};
// npm run bench:payouts passes --expose-gc: the baseline is taken on a collected heap, so the
// growth below is what streaming holds, not the run's garbage.
global.gc?.();
const { rss: rssBefore, heapUsed: heapBefore } = process.memoryUsage();
start = performance.now();
let bytes = 0;
let rows = 0;
const reader = payoutCsvStream(store, parseId('payout', run.id)!).getReader();
for (;;) {
  const { done, value } = await reader.read();
  if (done) break;
  bytes += value.length;
  for (let at = value.indexOf(10); at !== -1; at = value.indexOf(10, at + 1)) rows++;
  sample();
}
const csvMs = performance.now() - start;
console.log(`CSV: ${(rows - 1).toLocaleString()} rows, ${(bytes / 1e6).toFixed(1)} MB in ${csvMs.toFixed(0)} ms`);
console.log(
  `memory while streaming: RSS ${(rssBefore / 1e6).toFixed(0)} → peak ${(peakRss / 1e6).toFixed(0)} MB, heap ${(heapBefore / 1e6).toFixed(0)} → peak ${(peakHeap / 1e6).toFixed(0)} MB`,
);
console.log(
  `\nsummary: ${affiliates.toLocaleString()} affiliates, run ${createMs.toFixed(0)} ms + CSV ${csvMs.toFixed(0)} ms = ${((createMs + csvMs) / 1000).toFixed(2)} s (goal < 3 s); load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
await store.close();
rmSync(dir, { recursive: true, force: true });
