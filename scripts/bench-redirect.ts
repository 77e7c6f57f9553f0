/**
 * `npm run bench:redirect [-- --duration 10 --connections 32 --threads 2 --warmup 3 --tool wrk|autocannon --profile]`
 *
 * What the tracked redirect costs next to a bare 302: starts the real clickledger server (temp
 * DATA_DIR, one link made through the API) and a bare Hono app that only answers a 302, each
 * pinned to CPU 0 with `taskset` when it exists; loads each in turn with wrk pinned to CPU 1
 * (autocannon in-process when wrk is missing); prints req/s, p99 latency, the ratio, and the
 * clicks committed to SQLite against the 302s the load generator reported.
 *
 * `--profile` runs the clickledger server under `node --cpu-prof` and prints where its CPU time
 * went during the measured run (the profiler slows it, so its req/s are not comparable).
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import { summariseProfile } from './cpu-profile-summary';
import { seedLink } from '../test/support/seed-link';
import {
  hasTaskset,
  killAllServers,
  makeTempDir,
  REPO_ROOT,
  removeDir,
  type ServerProcess,
  startServer,
} from '../test/support/server-process';

const SERVER_CPU = '0';
const LOAD_CPU = '1';
const BROWSER_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

interface LoadResult {
  tool: string;
  requestsPerSec: number;
  p99Ms: number;
  /** Completed responses the tool counted. */
  requests: number;
  /** Connection errors and timeouts. */
  errors: number;
  /** Responses with a status of 400 or above (wrk) / other than 302 (autocannon). */
  badStatus: number;
}

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

function readOptions() {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string' },
      connections: { type: 'string' },
      threads: { type: 'string' },
      warmup: { type: 'string' },
      tool: { type: 'string' },
      profile: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: false,
  });
  if (values.help) {
    console.log(
      'usage: tsx scripts/bench-redirect.ts [--duration s=10] [--connections n=32] [--threads n=2] [--warmup s=3] [--tool wrk|autocannon] [--profile]',
    );
    process.exit(0);
  }
  const connections = positiveInt('connections', values.connections, 32);
  const threads = Math.min(positiveInt('threads', values.threads, 2), connections);
  const tool = values.tool ?? (hasWrk() ? 'wrk' : 'autocannon');
  if (tool !== 'wrk' && tool !== 'autocannon') throw new Error('--tool must be wrk or autocannon');
  if (tool === 'wrk' && !hasWrk()) throw new Error('--tool wrk given but wrk is not installed');
  return {
    duration: positiveInt('duration', values.duration, 10),
    connections,
    threads,
    warmup: values.warmup === '0' ? 0 : positiveInt('warmup', values.warmup, 3),
    tool: tool as 'wrk' | 'autocannon',
    profile: values.profile === true,
  };
}

function hasWrk(): boolean {
  return spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined;
}

let phaseStarted = Date.now();
function phase(message: string): void {
  const now = Date.now();
  console.log(`[bench ${((now - phaseStarted) / 1000).toFixed(1).padStart(5)} s] ${message}`);
}

/** wrk prints latencies as 812.00us, 1.23ms, 1.01s or 1.50m. */
function toMs(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!match) throw new Error(`cannot read wrk latency ${JSON.stringify(text)}`);
  const value = Number(match[1]);
  const unit = match[2]!;
  return unit === 'us' ? value / 1000 : unit === 'ms' ? value : unit === 's' ? value * 1000 : value * 60_000;
}

export function parseWrk(output: string): Omit<LoadResult, 'tool'> {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(output);
  const p99 = /^\s*99(?:\.0+)?%\s+(\S+)/m.exec(output);
  const total = /(\d+) requests in /.exec(output);
  if (!rps || !p99 || !total) throw new Error(`cannot parse wrk output:\n${output}`);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const errors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  const bad = /Non-2xx or 3xx responses: (\d+)/.exec(output);
  return {
    requestsPerSec: Number(rps[1]),
    p99Ms: toMs(p99[1]!),
    requests: Number(total[1]),
    errors,
    badStatus: bad ? Number(bad[1]) : 0,
  };
}

function runWrk(url: string, seconds: number, connections: number, threads: number, pinned: boolean): Promise<LoadResult> {
  const wrkArgs = [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, '--latency', '-H', `User-Agent: ${BROWSER_UA}`, url];
  const [command, args] = pinned ? ['taskset', ['-c', LOAD_CPU, 'wrk', ...wrkArgs]] : ['wrk', wrkArgs];
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`wrk exited with ${code}:\n${output}`));
      else {
        try {
          resolveRun({ tool: 'wrk', ...parseWrk(output) });
        } catch (error) {
          reject(error);
        }
      }
    });
  });
}

async function runAutocannon(url: string, seconds: number, connections: number): Promise<LoadResult> {
  const { default: autocannon } = await import('autocannon');
  const result = await autocannon({ url, connections, duration: seconds, headers: { 'user-agent': BROWSER_UA } });
  const redirects = Number(result.statusCodeStats?.['302']?.count ?? 0);
  const answered = Object.values(result.statusCodeStats ?? {}).reduce((sum, s) => sum + Number(s.count), 0);
  return {
    tool: 'autocannon',
    requestsPerSec: result.requests.average,
    p99Ms: result.latency.p99,
    requests: answered,
    errors: result.errors,
    badStatus: answered - redirects,
  };
}

function countClicks(dataDir: string): number {
  const db = new BetterSqlite3(join(dataDir, 'clickledger.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT count(*) AS n FROM clicks').pluck().get() as number;
  } finally {
    db.close();
  }
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

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const options = readOptions();
  phaseStarted = Date.now();
  // Pinning needs taskset and two CPUs: one for the server under test, one for the load.
  const pinned = hasTaskset() && availableParallelism() >= 2;
  phase(
    `settings: ${options.duration} s per run after ${options.warmup} s warm-up, ${options.connections} connections, ` +
      `${options.tool}${options.tool === 'wrk' ? ` (${options.threads} threads)` : ''}; ` +
      (pinned ? `servers on CPU ${SERVER_CPU}, load on CPU ${LOAD_CPU}` : 'not pinned (needs taskset and two CPUs)'),
  );
  if (options.tool === 'autocannon' && pinned) {
    // autocannon runs in this process: move all of its threads to the load CPU.
    spawnSync('taskset', ['-a', '-p', '-c', LOAD_CPU, String(process.pid)], { stdio: 'ignore' });
  }
  const load = (url: string, seconds: number) =>
    options.tool === 'wrk'
      ? runWrk(url, seconds, options.connections, options.threads, pinned)
      : runAutocannon(url, seconds, options.connections);

  const trackedDir = makeTempDir('clickledger-bench-');
  const bareDir = makeTempDir('clickledger-bench-bare-');
  const profileDir = options.profile ? makeTempDir('clickledger-bench-redirect-prof-') : undefined;
  let tracked: ServerProcess | undefined;
  let bare: ServerProcess | undefined;
  try {
    phase('starting the clickledger server');
    const cpus = pinned ? SERVER_CPU : undefined;
    tracked = await startServer({
      dataDir: trackedDir,
      cpus,
      root: REPO_ROOT,
      // No batch run landing inside the measurement.
      env: { BATCH_INTERVAL_SECONDS: '0' },
      ...(profileDir ? { nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] } : {}),
    });
    phase(`clickledger listening at ${tracked.url} (data in ${trackedDir}); seeding a link through the API`);
    const link = await seedLink(tracked.url);
    const trackedUrl = `${tracked.url}/c/${link.code}`;
    const probe = await fetch(trackedUrl, { redirect: 'manual', headers: { 'user-agent': BROWSER_UA } });
    if (probe.status !== 302 || !probe.headers.get('location')?.includes('clid=')) {
      throw new Error(`tracked redirect probe: status ${probe.status}, location ${probe.headers.get('location')}`);
    }

    phase('starting the bare Hono app');
    bare = await startServer({
      dataDir: bareDir,
      cpus,
      root: REPO_ROOT,
      entry: 'scripts/bench-bare-hono.ts',
      readyPattern: /bare hono listening on http:\/\/localhost:(\d+)/,
    });
    const bareUrl = `${bare.url}/c/${link.code}`;
    phase(`bare Hono listening at ${bare.url}`);

    if (options.warmup > 0) {
      phase(`warming up the bare Hono app (${options.warmup} s)`);
      await load(bareUrl, options.warmup);
    }
    phase(`loading the bare Hono app (${options.duration} s)`);
    const bareResult = await load(bareUrl, options.duration);
    phase(`bare Hono: ${fmt(bareResult.requestsPerSec)} req/s, p99 ${bareResult.p99Ms.toFixed(2)} ms`);
    await bare.kill('SIGTERM');
    bare = undefined;

    if (options.warmup > 0) {
      phase(`warming up the tracked redirect (${options.warmup} s)`);
      await load(trackedUrl, options.warmup);
      await sleep(300); // let clicks still in flight when the tool stopped commit before counting
    }
    const clicksBefore = countClicks(trackedDir);
    phase(`loading the tracked redirect (${options.duration} s)`);
    const trackedResult = await load(trackedUrl, options.duration);
    phase(`tracked redirect: ${fmt(trackedResult.requestsPerSec)} req/s, p99 ${trackedResult.p99Ms.toFixed(2)} ms`);
    phase('stopping clickledger (SIGTERM: flushes and closes the database) and counting committed clicks');
    const stopAt = Date.now();
    const exit = await tracked.kill('SIGTERM');
    const stopLagSeconds = (Date.now() - stopAt) / 1000;
    tracked = undefined;
    if (exit.code !== 0) phase(`warning: clickledger exited with code ${exit.code}, signal ${exit.signal}`);
    const committed = countClicks(trackedDir) - clicksBefore;

    const ratio = trackedResult.requestsPerSec / bareResult.requestsPerSec;
    const redirects = trackedResult.requests - trackedResult.badStatus;
    console.log('');
    console.log(
      `GET /c/:code, ${options.connections} connections, ${options.duration} s, ${bareResult.tool}` +
        (pinned ? `, server on CPU ${SERVER_CPU}, load on CPU ${LOAD_CPU}` : ''),
    );
    console.log(
      table([
        ['', 'req/s', 'p99 (ms)', 'responses', 'errors'],
        [
          'bare Hono 302',
          fmt(bareResult.requestsPerSec),
          bareResult.p99Ms.toFixed(2),
          fmt(bareResult.requests),
          fmt(bareResult.errors + bareResult.badStatus),
        ],
        [
          'tracked redirect',
          fmt(trackedResult.requestsPerSec),
          trackedResult.p99Ms.toFixed(2),
          fmt(trackedResult.requests),
          fmt(trackedResult.errors + trackedResult.badStatus),
        ],
        ['tracked / bare', `${(ratio * 100).toFixed(1)} %`, `${(trackedResult.p99Ms / bareResult.p99Ms).toFixed(2)}x`, '', ''],
      ]),
    );
    console.log('');
    console.log(
      `clicks committed during the measured run: ${fmt(committed)}; 302s reported by ${trackedResult.tool}: ${fmt(redirects)}; ` +
        `difference ${fmt(committed - redirects)} ` +
        (committed >= redirects
          ? '(committed ≥ reported, as P1 requires; the excess is requests still in flight when the tool stopped)'
          : '(FEWER clicks committed than 302s reported: P1 broken)'),
    );
    if (committed < redirects) process.exitCode = 1;
    if (profileDir) {
      const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
      console.log('');
      if (file) for (const line of summariseProfile(join(profileDir, file), options.duration, stopLagSeconds)) console.log(line);
      else console.log(`no .cpuprofile was written in ${profileDir}`);
      console.log(`(profile kept in ${profileDir}; open it in Chrome DevTools or speedscope)`);
    }
  } finally {
    await bare?.kill('SIGKILL');
    await tracked?.kill('SIGKILL');
    killAllServers();
    removeDir(trackedDir);
    removeDir(bareDir);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  killAllServers();
  process.exit(1);
});
