/**
 * `npm run bench:orders [-- --events 20000 --connections 32 --warmup 5000 --attributed 0 --profile]`
 *
 * Signed order-event intake throughput: starts the real clickledger server (temp DATA_DIR,
 * pinned to CPU 0 with `taskset` when it exists and there are two CPUs; the in-process commission
 * batch timer off, BATCH_INTERVAL_SECONDS=0, so it cannot land inside the measurement), seeds a
 * merchant and program through the API, and pre-builds every order event with its Standard
 * Webhooks signature (the `standardwebhooks` reference library) before anything is timed: one
 * `order.created` per distinct order, each with its own webhook-id. Then it fires them at
 * `POST /v1/orders` over C concurrent keep-alive connections (node:http, this process moved to
 * CPU 1), first the warm-up events, then the measured ones, and prints orders/s, p50/p90/p99/max
 * latency, and whether the `orders` and `order_events` row counts equal the events acknowledged.
 *
 * `--attributed P` gives P % of the orders, spread evenly, the click id of one real click on the
 * seeded link, so they are attributed to its affiliate: an attributed order also reads the click,
 * the membership and the customer references, and enters the batch's indexes on orders, which
 * orders without an affiliate skip. The default, 0, is the shape the figures before it were
 * measured with.
 *
 * Signatures carry the time they were made; the server accepts ±300 s, so the measured phase
 * stops (and says so) if it would outlast MAX_SIGNATURE_AGE_S after signing.
 *
 * `--profile` runs the server with `node --cpu-prof`, stops it with SIGTERM after the run so that
 * the profile is written, and prints where its CPU time went during the measured run: self time
 * by package / file and inclusive time by function (the profile itself is kept for DevTools).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { Agent } from 'node:http';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import { seedLink } from '../test/support/seed-link';
import { summariseProfile } from './cpu-profile-summary';
import { buildEvents, post, processCpuMs, type SignedEvent } from './signed-order-events';
import {
  hasTaskset,
  killAllServers,
  makeTempDir,
  removeDir,
  type ServerProcess,
  startServer,
} from '../test/support/server-process';
import { positiveInt } from './int-option';

const SERVER_CPU = '0';
const LOAD_CPU = '1';
/** Stop sending signatures older than this: the server refuses them after 300 s. */
const MAX_SIGNATURE_AGE_S = 280;
const GOAL_PER_SEC = 3_000;

function percent(name: string, value: string | undefined): number {
  const n = positiveInt(name, value, 0, true);
  if (n > 100) throw new Error(`--${name} is a percentage (0–100), got ${n}`);
  return n;
}

/** The click id our redirect appends to the landing URL for one click on the seeded link. */
async function clickIdOf(trackingUrl: string): Promise<string> {
  const response = await fetch(trackingUrl, { redirect: 'manual', headers: { 'user-agent': 'Mozilla/5.0 (bench-orders)' } });
  const location = response.headers.get('location');
  const clickId = location ? new URL(location).searchParams.get('clid') : null;
  if (response.status !== 302 || !clickId) throw new Error(`no click id from ${trackingUrl}: ${response.status} ${location}`);
  return clickId;
}

function readOptions() {
  const { values } = parseArgs({
    options: {
      events: { type: 'string' },
      connections: { type: 'string' },
      warmup: { type: 'string' },
      attributed: { type: 'string' },
      profile: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: false,
  });
  if (values.help) {
    console.log(
      'usage: tsx scripts/bench-orders.ts [--events n=20000] [--connections n=32] [--warmup n=5000] [--attributed percent=0] [--profile]',
    );
    process.exit(0);
  }
  return {
    events: positiveInt('events', values.events, 20_000),
    connections: positiveInt('connections', values.connections, 32),
    warmup: positiveInt('warmup', values.warmup, 5_000, true),
    attributed: percent('attributed', values.attributed),
    profile: values.profile === true,
  };
}

let phaseStarted = Date.now();
function phase(message: string): void {
  console.log(`[bench ${((Date.now() - phaseStarted) / 1000).toFixed(1).padStart(5)} s] ${message}`);
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

interface LoadResult {
  acked: number;
  failed: number;
  problems: Map<string, number>;
  latencies: Float64Array;
  seconds: number;
  /** True when the run stopped early because the signatures were about to expire. */
  expired: boolean;
}

/** Sends every event once over `connections` keep-alive loops; prints progress every second. */
async function fire(
  server: ServerProcess,
  events: SignedEvent[],
  connections: number,
  signedAtMs: number,
  label: string,
): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
  const latencies = new Float64Array(events.length);
  const problems = new Map<string, number>();
  let next = 0;
  let acked = 0;
  let failed = 0;
  let expired = false;
  const started = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9;
  let lastAcked = 0;
  let lastAt = 0;
  const progress = setInterval(() => {
    const now = elapsed();
    const rate = (acked - lastAcked) / (now - lastAt);
    lastAcked = acked;
    lastAt = now;
    phase(
      `${label}: ${fmt(acked)} / ${fmt(events.length)} acked, ${fmt(failed)} failed, ${fmt(rate)} orders/s in the last second`,
    );
  }, 1000);
  const loop = async () => {
    for (;;) {
      if (Date.now() - signedAtMs > MAX_SIGNATURE_AGE_S * 1000) {
        expired = true;
        return;
      }
      const i = next++;
      if (i >= events.length) return;
      const outcome = await post(agent, server.port, events[i]!);
      latencies[i] = outcome.ms;
      if (outcome.ok) acked++;
      else {
        failed++;
        problems.set(outcome.problem, (problems.get(outcome.problem) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, loop));
  const seconds = elapsed();
  clearInterval(progress);
  agent.destroy();
  const sent = Math.min(next, events.length);
  return { acked, failed, problems, latencies: latencies.slice(0, sent).sort(), seconds, expired };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function countRows(dataDir: string): { orders: number; events: number; attributed: number } {
  const db = new BetterSqlite3(join(dataDir, 'clickledger.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return {
      orders: db.prepare('SELECT count(*) FROM orders').pluck().get() as number,
      events: db.prepare('SELECT count(*) FROM order_events').pluck().get() as number,
      attributed: db.prepare('SELECT count(*) FROM orders WHERE affiliate_id IS NOT NULL').pluck().get() as number,
    };
  } finally {
    db.close();
  }
}

async function main() {
  const options = readOptions();
  phaseStarted = Date.now();
  const pinned = hasTaskset() && availableParallelism() >= 2;
  if (pinned) {
    // This process (the load) on CPU 1, all of its threads; the server goes on CPU 0.
    spawnSync('taskset', ['-a', '-p', '-c', LOAD_CPU, String(process.pid)], { stdio: 'ignore' });
  }
  phase(
    `settings: ${fmt(options.events)} measured events after ${fmt(options.warmup)} warm-up events, ${options.connections} keep-alive connections (node:http); ` +
      (pinned ? `server on CPU ${SERVER_CPU}, load on CPU ${LOAD_CPU}` : 'not pinned (needs taskset and two CPUs)') +
      (options.attributed > 0 ? `; ${options.attributed} % of orders with a click id` : '') +
      (options.profile ? '; server under --cpu-prof' : ''),
  );

  const dataDir = makeTempDir('clickledger-bench-orders-');
  const profileDir = options.profile ? makeTempDir('clickledger-bench-orders-prof-') : undefined;
  let server: ServerProcess | undefined;
  try {
    phase('starting the clickledger server');
    server = await startServer({
      dataDir,
      ...(pinned ? { cpus: SERVER_CPU } : {}),
      env: { BATCH_INTERVAL_SECONDS: '0' },
      ...(profileDir ? { nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] } : {}),
    });
    phase(`listening at ${server.url} (data in ${dataDir}); seeding merchant, affiliate and program through the API`);
    const seeded = await seedLink(server.url);

    phase(`signing ${fmt(options.warmup + options.events)} order events (before anything is timed)`);
    const signStarted = Date.now();
    const attributed = {
      percent: options.attributed,
      ...(options.attributed > 0 ? { clickId: await clickIdOf(seeded.trackingUrl) } : {}),
    };
    const warmupEvents = buildEvents(seeded.webhookSecret, seeded.programId, 'W', options.warmup, attributed);
    const events = buildEvents(seeded.webhookSecret, seeded.programId, 'B', options.events, attributed);
    phase(
      `signed in ${((Date.now() - signStarted) / 1000).toFixed(1)} s; signatures stay valid for ${MAX_SIGNATURE_AGE_S} s from now`,
    );

    let warm: LoadResult | undefined;
    if (warmupEvents.length > 0) {
      phase(`warm-up: ${fmt(warmupEvents.length)} events`);
      warm = await fire(server, warmupEvents, options.connections, signStarted, 'warm-up');
      phase(`warm-up done: ${fmt(warm.acked / warm.seconds)} orders/s`);
    }
    const before = countRows(dataDir);
    phase(`measuring: ${fmt(events.length)} events`);
    const cpuBefore = processCpuMs(server.pid);
    const loadCpuBefore = process.cpuUsage();
    const run = await fire(server, events, options.connections, signStarted, 'measured');
    const loadCpu = process.cpuUsage(loadCpuBefore);
    const cpuAfter = processCpuMs(server.pid);
    phase(`measured run done in ${run.seconds.toFixed(2)} s`);

    phase('stopping the server (SIGTERM: closes the database' + (profileDir ? ', writes the CPU profile' : '') + ')');
    const stopAt = Date.now();
    const exit = await server.kill('SIGTERM');
    const stopLagSeconds = (Date.now() - stopAt) / 1000;
    server = undefined;
    if (exit.code !== 0) phase(`warning: the server exited with code ${exit.code}, signal ${exit.signal}`);
    const after = countRows(dataDir);
    const ordersAdded = after.orders - before.orders;
    const eventsAdded = after.events - before.events;

    const rate = run.acked / run.seconds;
    console.log('');
    console.log(
      `POST /v1/orders, signed order.created for distinct orders (${options.attributed} % with a click id), ${options.connections} connections` +
        (pinned ? `, server on CPU ${SERVER_CPU}, load on CPU ${LOAD_CPU}` : ''),
    );
    console.log(
      `  events sent        ${fmt(run.latencies.length)} of ${fmt(events.length)}${run.expired ? ' (stopped: signatures about to expire)' : ''}`,
    );
    console.log(`  acknowledged (200) ${fmt(run.acked)}, failed ${fmt(run.failed)}`);
    for (const [problem, n] of run.problems) console.log(`    ${fmt(n)} × ${problem}`);
    console.log(`  elapsed            ${run.seconds.toFixed(2)} s`);
    console.log(
      `  throughput         ${fmt(rate)} orders/s (goal ${fmt(GOAL_PER_SEC)}: ${rate >= GOAL_PER_SEC ? 'met' : `${((100 * rate) / GOAL_PER_SEC).toFixed(0)} % of it`})`,
    );
    console.log(
      `  latency (ms)       p50 ${percentile(run.latencies, 50).toFixed(2)}, p90 ${percentile(run.latencies, 90).toFixed(2)}, ` +
        `p99 ${percentile(run.latencies, 99).toFixed(2)}, max ${percentile(run.latencies, 100).toFixed(2)}`,
    );
    if (cpuBefore !== undefined && cpuAfter !== undefined && run.acked > 0) {
      const cpuMs = cpuAfter.total - cpuBefore.total;
      const systemMs = cpuAfter.system - cpuBefore.system;
      console.log(
        `  server CPU         ${fmt((1000 * cpuMs) / run.acked)} µs per order (${fmt(cpuMs / 1000, 2)} s over ${run.seconds.toFixed(2)} s: ` +
          `${((100 * cpuMs) / 1000 / run.seconds).toFixed(0)} % of a core; ${fmt((1000 * systemMs) / run.acked)} µs of it in the kernel)`,
      );
    }
    // The load generator has a core of its own: when it is near 100 % and the server is not,
    // the figure above measures the client, not the server.
    const loadMs = (loadCpu.user + loadCpu.system) / 1000;
    if (run.acked > 0)
      console.log(
        `  load generator CPU ${fmt((1000 * loadMs) / run.acked)} µs per order (${((100 * loadMs) / 1000 / run.seconds).toFixed(0)} % of a core)`,
      );
    if (warm)
      console.log(
        `  warm-up            ${fmt(warm.acked)} acked in ${warm.seconds.toFixed(2)} s (${fmt(warm.acked / warm.seconds)} orders/s)`,
      );
    const rowsOk = ordersAdded === run.acked && eventsAdded === run.acked;
    console.log(
      `  rows check         orders +${fmt(ordersAdded)}, order_events +${fmt(eventsAdded)}, acknowledged ${fmt(run.acked)}: ` +
        (rowsOk
          ? 'equal'
          : 'MISMATCH (every acknowledged distinct order must be exactly one orders row and one order_events row)'),
    );
    console.log(
      `  attributed         ${fmt(after.attributed - before.attributed)} of the measured orders to the seeded affiliate`,
    );
    if (!rowsOk || run.failed > 0) process.exitCode = 1;

    if (profileDir) {
      const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
      console.log('');
      if (file) for (const line of summariseProfile(join(profileDir, file), run.seconds, stopLagSeconds)) console.log(line);
      else console.log(`no .cpuprofile was written in ${profileDir}`);
      console.log(`(profile kept in ${profileDir}; open it in Chrome DevTools or speedscope)`);
    }
  } finally {
    await server?.kill('SIGKILL');
    killAllServers();
    removeDir(dataDir);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  killAllServers();
  process.exit(1);
});
