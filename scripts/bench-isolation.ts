/**
 * `npm run bench:isolation [-- --orders 20000 --seconds 8 --probe-ms 10]`: issue 21's isolation
 * goal. N attributed, completed orders over the last 366 days in one program (one real order
 * through the signed webhook, copied in SQL: test/support/seed-orders.ts), the batch run over
 * them, and their commissions in one payout run (one affiliate: the run's detail lists all N
 * entries on one line, its worst case). Then, against the real app served on a port in this
 * process (the real SQLite store; no ClickHouse, so no report in the mix):
 *
 *  - a probe sends a tracking click (`GET /c/:code`) every `--probe-ms`, each on its own
 *    schedule (not after the previous answer), its latency counted from when it was due, so a
 *    stall of the event loop shows in every click it delays;
 *  - meanwhile a merchant runs a 366-day what-if and a finance key reads the payout run's
 *    detail, back to back, for `--seconds`.
 *
 * Prints the probe's p50 / p99 / max and the heavy requests' own times, and the load average
 * (the figure means little on a busy machine). Goal: p99 ≤ 25 ms, max ≤ 100 ms at 20,000 orders.
 */
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { serve } from '@hono/node-server';
import { positiveInt } from './int-option';
import { seedAttributedOrders } from '../test/support/seed-orders';
import { ADMIN_TOKEN, createTenant, startTestApp } from '../test/support/test-app';

const { values } = parseArgs({
  options: { orders: { type: 'string' }, seconds: { type: 'string' }, 'probe-ms': { type: 'string' } },
});
const ORDERS = positiveInt('orders', values.orders, 20_000);
const SECONDS = positiveInt('seconds', values.seconds, 8);
const PROBE_MS = positiveInt('probe-ms', values['probe-ms'], 10);
const DAY = 86_400_000;

const t = await startTestApp();
const tenant = await createTenant(t, 'Bench');
console.log(`seeding ${ORDERS.toLocaleString()} attributed orders over 366 days…`);
let started = performance.now();
await seedAttributedOrders(t, tenant, ORDERS, Math.max(1, Math.floor((366 * 24 * 60) / ORDERS)));
console.log(`  seeded in ${((performance.now() - started) / 1000).toFixed(1)} s`);

async function ok<T>(response: Response, what: string): Promise<T> {
  if (!response.ok) throw new Error(`${what}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}
// Past the 14-day lock of the newest order, so every commission is approved.
t.clock.advance(15 * DAY);
started = performance.now();
await ok(await t.request('/v1/admin/batch', { method: 'POST', key: ADMIN_TOKEN, json: {} }), 'batch');
console.log(`  batch in ${((performance.now() - started) / 1000).toFixed(1)} s`);
const finance = await ok<{ apiKey: string }>(
  await t.request('/v1/finance-keys', { method: 'POST', key: ADMIN_TOKEN }),
  'finance key',
);
const run = await ok<{ id: string }>(
  await t.request('/v1/payouts', {
    method: 'POST',
    key: finance.apiKey,
    json: { asOf: t.clock.now().toISOString(), minimumAmount: '0.01' },
  }),
  'payout run',
);

const server = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' });
await new Promise<void>((resolve) => server.once('listening', () => resolve()));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const today = t.clock.now().toISOString().slice(0, 10);
const yearAgo = new Date(t.clock.now().getTime() - 365 * DAY).toISOString().slice(0, 10);

async function timed(path: string, key: string, init: RequestInit = {}): Promise<number> {
  const start = performance.now();
  const response = await fetch(`${base}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
  });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return performance.now() - start;
}

const probe: number[] = [];
const pending: Promise<void>[] = [];
const heavy = { whatIf: [] as number[], detail: [] as number[] };
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
loopDelay.enable();
const begin = performance.now();
const end = begin + SECONDS * 1000;
// The probe: click n is due at begin + n × PROBE_MS, sent when a timer gets to it.
let n = 0;
const tick = () => {
  const now = performance.now();
  for (; begin + n * PROBE_MS <= now && begin + n * PROBE_MS < end; n++) {
    const due = begin + n * PROBE_MS;
    pending.push(
      fetch(`${base}/c/${tenant.link.code}`, { redirect: 'manual', headers: { 'user-agent': 'Mozilla/5.0 Chrome/131.0' } }).then(
        async (response) => {
          await response.arrayBuffer();
          if (response.status !== 302) throw new Error(`probe: ${response.status}`);
          probe.push(performance.now() - due);
        },
      ),
    );
  }
  if (now < end) setTimeout(tick, 1);
};
tick();
while (performance.now() < end) {
  heavy.whatIf.push(
    await timed(`/v1/programs/${tenant.program.id}/plan/simulate`, tenant.merchant.apiKey, {
      method: 'POST',
      body: JSON.stringify({ plan: { default: { percent: '10' } }, from: yearAgo, to: today }),
    }),
  );
  heavy.detail.push(await timed(`/v1/payouts/${run.id}`, finance.apiKey));
}
await Promise.all(pending);
loopDelay.disable();

const quantile = (xs: number[], q: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
};
const ms = (x: number) => `${x.toFixed(1)} ms`;
const spread = (xs: number[]) => `${xs.length} × (p50 ${ms(quantile(xs, 0.5))}, max ${ms(Math.max(...xs))})`;
console.log(
  `\nprobe: ${probe.length} clicks every ${PROBE_MS} ms: p50 ${ms(quantile(probe, 0.5))}, p99 ${ms(quantile(probe, 0.99))}, max ${ms(Math.max(...probe))} (goal p99 ≤ 25 ms, max ≤ 100 ms)`,
);
console.log(
  `event loop delay (the stall any request sees): p50 ${ms(loopDelay.percentile(50) / 1e6)}, p99 ${ms(loopDelay.percentile(99) / 1e6)}, max ${ms(loopDelay.max / 1e6)}; probe answers over 100 ms: ${probe.filter((x) => x > 100).length}`,
);
console.log(`what-if over 366 days (${ORDERS.toLocaleString()} orders): ${spread(heavy.whatIf)}`);
console.log(`payout run detail (${ORDERS.toLocaleString()} entries on one line): ${spread(heavy.detail)}`);
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
server.close();
await t.close();
