/**
 * `npm run bench:webhooks [-- --events 10000 --slice 5 --baseline 4 --connections 16 --interval 1]`
 *
 * Issue 22's measured goal: N events delivered to a local receiver, the delivered throughput,
 * and the redirect's p99 during the drain within 10 % of its p99 without it.
 *
 * The real server (the built one, as `npm start`: temp DATA_DIR, WEBHOOK_ALLOW_PRIVATE so it may
 * call 127.0.0.1, its dispatcher on a `--interval` s timer, no batch timer) pinned to CPU 0; wrk
 * pinned to CPU 1, and this process (the receiver) there too. The events are made the way the
 * product makes them: a merchant webhook endpoint for `sale.created`, one click, then N signed
 * order events (`POST /v1/orders`, attributed to that click), each writing its `sale.created` in
 * the order's own transaction through the outbox trigger. The endpoint is paused meanwhile, so
 * its deliveries are made and wait (docs/webhooks.md, "Pause and resume").
 *
 * Then, in the same run: `--baseline` slices of `--slice` s of wrk on `GET /c/:code` with nothing
 * to deliver (the dispatcher still ticks); the endpoint is resumed, and wrk slices run back to
 * back until the receiver has had every event (a slice is counted when it started before the
 * last event arrived). The receiver answers 204 at once and counts distinct `webhook-id`s.
 *
 * Prints progress while it runs, then: events/s delivered and the time to drain, and per side
 * the redirect's req/s, p50 and p99 (median slice, and the worst), the ratio, and the goal.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import { positiveInt } from './int-option';
import { seedLink } from '../test/support/seed-link';
import {
  hasTaskset,
  killAllServers,
  makeTempDir,
  removeDir,
  type ServerProcess,
  startServer,
  TEST_ADMIN_TOKEN,
} from '../test/support/server-process';
import { orderEvent, signedHeaders } from '../test/support/shop';
import { parseWrkOutput } from './wrk-output';

const SERVER_CPU = '0';
const LOAD_CPU = '1';
const BROWSER_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const GOAL = 1.1;

const { values } = parseArgs({
  options: {
    events: { type: 'string' },
    slice: { type: 'string' },
    baseline: { type: 'string' },
    connections: { type: 'string' },
    interval: { type: 'string' },
    intake: { type: 'string' },
  },
});
const EVENTS = positiveInt('events', values.events, 10_000);
const SLICE = positiveInt('slice', values.slice, 5);
const BASELINE_SLICES = positiveInt('baseline', values.baseline, 4);
const CONNECTIONS = positiveInt('connections', values.connections, 16);
const INTERVAL = positiveInt('interval', values.interval, 1);
/** Order events sent at once while the events are made. */
const INTAKE = positiveInt('intake', values.intake, 8);

let started = Date.now();
const phase = (message: string) => console.log(`[bench ${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${message}`);
const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

interface Slice {
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  errors: number;
  startedAt: number;
}

function parseWrk(output: string, startedAt: number): Slice {
  const read = parseWrkOutput(output);
  const { requestsPerSec, p50Ms, p99Ms, requests } = read;
  return { requestsPerSec, p50Ms, p99Ms, requests, errors: read.socketErrors + read.badStatus, startedAt };
}

function runWrk(url: string, pinned: boolean): Promise<Slice> {
  const args = ['-t2', `-c${CONNECTIONS}`, `-d${SLICE}s`, '--latency', '-H', `User-Agent: ${BROWSER_UA}`, url];
  const [command, argv] = pinned ? ['taskset', ['-c', LOAD_CPU, 'wrk', ...args]] : ['wrk', args];
  const startedAt = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`wrk exited with ${code}:\n${output}`));
      else {
        try {
          resolve(parseWrk(output, startedAt));
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      }
    });
  });
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function summarise(slices: Slice[]) {
  const seconds = slices.length * SLICE;
  return {
    requestsPerSec: slices.reduce((sum, s) => sum + s.requestsPerSec * SLICE, 0) / seconds,
    p50Ms: median(slices.map((s) => s.p50Ms)),
    p99Ms: median(slices.map((s) => s.p99Ms)),
    p99WorstMs: Math.max(...slices.map((s) => s.p99Ms)),
    requests: slices.reduce((sum, s) => sum + s.requests, 0),
    errors: slices.reduce((sum, s) => sum + s.errors, 0),
  };
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r, j) => {
      const line = r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('   ');
      return j === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('   ')}` : line;
    })
    .join('\n');
}

async function api<T>(base: string, key: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

function deliveriesMade(dataDir: string): number {
  const db = new BetterSqlite3(join(dataDir, 'clickledger.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM webhook_deliveries').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main() {
  if (spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error !== undefined) throw new Error('needs wrk on the PATH');
  const pinned = hasTaskset() && availableParallelism() >= 2;
  // The receiver and wrk share the load CPU; the server has the other one to itself.
  if (pinned) spawnSync('taskset', ['-a', '-p', '-c', LOAD_CPU, String(process.pid)], { stdio: 'ignore' });
  phase(
    `settings: ${fmt(EVENTS)} events, dispatcher every ${INTERVAL} s, wrk ${CONNECTIONS} connections in ${SLICE} s slices, ` +
      `${BASELINE_SLICES} baseline slices; ${pinned ? `server on CPU ${SERVER_CPU}, wrk and receiver on CPU ${LOAD_CPU}` : 'not pinned'}`,
  );

  // The receiver: 204 at once; the first arrival of each webhook-id counts.
  const arrived = new Map<string, number>();
  let requests = 0;
  const receiver = createServer((req, res) => {
    requests++;
    req.resume();
    req.on('end', () => {
      const id = String(req.headers['webhook-id']);
      if (!arrived.has(id)) arrived.set(id, Date.now());
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

  const dataDir = makeTempDir('clickledger-bench-webhooks-');
  let server: ServerProcess | undefined;
  try {
    server = await startServer({
      dataDir,
      ...(pinned ? { cpus: SERVER_CPU } : {}),
      env: { WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_INTERVAL_SECONDS: String(INTERVAL), BATCH_INTERVAL_SECONDS: '0' },
    });
    phase(`server at ${server.url}, receiver at ${receiverUrl}`);
    const seeded = await seedLink(server.url, TEST_ADMIN_TOKEN);
    const endpoint = await api<{ id: string }>(server.url, seeded.merchantKey, 'POST', '/v1/webhook-endpoints', {
      url: receiverUrl,
      events: ['sale.created'],
    });
    await api(server.url, seeded.merchantKey, 'POST', `/v1/webhook-endpoints/${endpoint.id}/pause`);
    const redirectUrl = `${server.url}/c/${seeded.code}`;
    const click = await fetch(redirectUrl, { redirect: 'manual', headers: { 'user-agent': BROWSER_UA } });
    const clickId = new URL(click.headers.get('location')!).searchParams.get('clid');
    if (click.status !== 302 || !clickId) throw new Error(`redirect probe: ${click.status}`);

    phase(`making ${fmt(EVENTS)} sale.created events: signed order events, ${INTAKE} at a time, the endpoint paused`);
    const intakeFrom = Date.now();
    let next = 0;
    const intake = async () => {
      for (let i = next++; i < EVENTS; i = next++) {
        const now = new Date().toISOString();
        const body = JSON.stringify(
          orderEvent(seeded.programId, 'order.paid', { id: `B-${i + 1}`, clickId, placedAt: now }, now),
        );
        const res = await fetch(`${server!.url}/v1/orders`, {
          method: 'POST',
          headers: signedHeaders(seeded.webhookSecret, body),
          body,
        });
        if (res.status !== 200) throw new Error(`order B-${i + 1}: ${res.status} ${await res.text()}`);
        await res.arrayBuffer();
        if ((i + 1) % 1000 === 0) phase(`  ${fmt(i + 1)} orders accepted`);
      }
    };
    await Promise.all(Array.from({ length: INTAKE }, intake));
    phase(
      `  ${fmt(EVENTS)} orders in ${((Date.now() - intakeFrom) / 1000).toFixed(1)} s; waiting for the dispatcher to make their deliveries`,
    );
    for (let made = 0; made < EVENTS; made = deliveriesMade(dataDir)) {
      await sleep(250);
    }
    phase(`  ${fmt(EVENTS)} deliveries waiting`);

    phase(`baseline: ${BASELINE_SLICES} × ${SLICE} s of wrk on GET /c/:code, nothing to deliver`);
    const baseline: Slice[] = [];
    for (let i = 1; i <= BASELINE_SLICES; i++) {
      const s = await runWrk(redirectUrl, pinned);
      baseline.push(s);
      phase(
        `  baseline ${i}/${BASELINE_SLICES}: ${fmt(s.requestsPerSec)} req/s, p50 ${s.p50Ms.toFixed(2)} ms, p99 ${s.p99Ms.toFixed(2)} ms`,
      );
    }
    if (arrived.size > 0) throw new Error(`${arrived.size} events arrived while the endpoint was paused`);

    phase('resuming the endpoint: the drain starts; wrk slices until every event has arrived');
    await api(server.url, seeded.merchantKey, 'POST', `/v1/webhook-endpoints/${endpoint.id}/resume`);
    const drainFrom = Date.now();
    const during: Slice[] = [];
    while (arrived.size < EVENTS) {
      const before = arrived.size;
      const s = await runWrk(redirectUrl, pinned);
      during.push(s);
      phase(
        `  drain slice ${during.length}: ${fmt(s.requestsPerSec)} req/s, p50 ${s.p50Ms.toFixed(2)} ms, p99 ${s.p99Ms.toFixed(2)} ms; ` +
          `delivered ${fmt(arrived.size)}/${fmt(EVENTS)} (+${fmt((arrived.size - before) / SLICE)}/s)`,
      );
      if (during.length > 1 && arrived.size === before && Date.now() - drainFrom > 120_000) {
        throw new Error(`the drain stalled at ${arrived.size} of ${EVENTS}; server output:\n${server.output()}`);
      }
    }
    const lastArrival = Math.max(...arrived.values());
    const drainSeconds = (lastArrival - drainFrom) / 1000;
    // Only the slices that began while events were still arriving measure the drain.
    const measured = during.filter((s) => s.startedAt < lastArrival);
    const busyShare = Math.min(1, drainSeconds / (measured.length * SLICE));

    const base = summarise(baseline);
    const drain = summarise(measured);
    const ratio = drain.p99Ms / base.p99Ms;
    console.log('');
    console.log(
      `delivered: ${fmt(arrived.size)} events in ${drainSeconds.toFixed(1)} s = ${fmt(arrived.size / drainSeconds, 1)} events/s ` +
        `(${fmt(requests)} requests to the receiver; dispatcher every ${INTERVAL} s, up to 200 claimed per tick, 8 in flight)`,
    );
    console.log('');
    console.log(
      `GET /c/:code, wrk ${CONNECTIONS} connections, ${SLICE} s slices${pinned ? `, server on CPU ${SERVER_CPU}` : ''}`,
    );
    console.log(
      table([
        ['', 'slices', 'req/s', 'p50 ms', 'p99 ms (median slice)', 'p99 ms (worst slice)', 'errors'],
        ...(
          [
            ['without a drain', baseline, base],
            ['during the drain', measured, drain],
          ] as const
        ).map(([name, slices, r]) => [
          name,
          String(slices.length),
          fmt(r.requestsPerSec),
          r.p50Ms.toFixed(2),
          r.p99Ms.toFixed(2),
          r.p99WorstMs.toFixed(2),
          fmt(r.errors),
        ]),
        [
          'during / without',
          '',
          `${((100 * drain.requestsPerSec) / base.requestsPerSec).toFixed(1)} %`,
          `${(drain.p50Ms / base.p50Ms).toFixed(2)}x`,
          `${ratio.toFixed(2)}x`,
          `${(drain.p99WorstMs / base.p99WorstMs).toFixed(2)}x`,
          '',
        ],
      ]),
    );
    console.log('');
    console.log(
      `goal: the redirect's p99 during the drain within 10 % of its p99 without it (≤ ${GOAL.toFixed(2)}x): ` +
        `${ratio.toFixed(2)}x, ${ratio <= GOAL ? 'MET' : 'NOT MET'}` +
        (busyShare < 0.8 ? ` (the drain filled only ${(100 * busyShare).toFixed(0)} % of the measured slices)` : ''),
    );
    console.log(
      `load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
  } finally {
    await server?.kill('SIGTERM');
    killAllServers();
    receiver.close();
    removeDir(dataDir);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  killAllServers();
  process.exit(1);
});
