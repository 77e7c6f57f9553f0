/**
 * `npm run bench:redirect [-- --duration 10 --connections 32 --threads 2 --warmup 3 --rounds 5 --tool wrk|autocannon --repeat-visitor | --visitors N --profile]`
 *
 * What the tracked redirect costs next to a bare 302: starts the real clickledger server (temp
 * DATA_DIR, one link made through the API) and a bare Hono app that only answers a 302, each
 * pinned to CPU 0 with `taskset` when it exists; loads them in alternating slices (`--rounds`,
 * the duration split between them) with wrk pinned to CPU 1 (autocannon in-process when wrk is
 * missing); prints req/s, p99 latency (the worst slice), the server CPU time per response (from
 * /proc, steadier than req/s when other work shares the machine), the ratios, and the clicks
 * committed to SQLite against the 302s the load generator reported.
 *
 * The traffic, by default, is an affiliate's audience: every click a new visitor, with its own
 * `X-Forwarded-For` address (the tracked server started with TRUST_PROXY) and a browser agent
 * drawn from a weighted mix of the common ones (Chrome on Windows and Android, Safari on iPhone
 * and Mac, Edge, Firefox, Samsung Internet…), so every click is a visitor's unique click of the
 * hour, hashes both keyed hashes anew and adds a pair to the unique-visitor memory. Needs wrk
 * (its Lua script makes the headers); with autocannon the run falls back to one visitor.
 *
 * `--repeat-visitor` sends every request as one visitor (one browser agent, the socket's
 * address): every click after the first a repeat, the easy case. `--visitors N` (wrk only) sends
 * N visitors taking turns with the mix of agents, for anything in between.
 *
 * `--links N` (wrk only) spreads the clicks over N links of the program (made through the API)
 * instead of one, so what a link costs shows: its cached lookup reloaded every few seconds, and
 * where its clicks' ids go in the click id index (version 1 ids, link first, took an index page
 * per link in every commit).
 *
 * `--side-by-side` runs each round's two slices at the same time instead of one after the other:
 * both servers share CPU 0 and each gets its own wrk on CPU 1. The scheduler then gives the two
 * servers equal CPU time in the same instants, so their req/s ratio is their cost ratio per
 * response, measured under identical conditions even when the machine's capacity swings.
 *
 * `--profile` runs the clickledger server under `node --cpu-prof` and prints where its CPU time
 * went during the measured run (the profiler slows it, so its req/s are not comparable).
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import { summariseProfile } from './cpu-profile-summary';
import { type SeededLink, seedLink } from '../test/support/seed-link';
import {
  hasTaskset,
  killAllServers,
  makeTempDir,
  REPO_ROOT,
  removeDir,
  type ServerProcess,
  startServer,
} from '../test/support/server-process';
import { positiveInt } from './int-option';
import { parseWrkOutput } from './wrk-output';

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

function readOptions() {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string' },
      connections: { type: 'string' },
      threads: { type: 'string' },
      warmup: { type: 'string' },
      rounds: { type: 'string' },
      tool: { type: 'string' },
      visitors: { type: 'string' },
      'repeat-visitor': { type: 'boolean' },
      links: { type: 'string' },
      profile: { type: 'boolean' },
      'side-by-side': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: false,
  });
  if (values.help) {
    console.log(
      'usage: tsx scripts/bench-redirect.ts [--duration s=10] [--connections n=32] [--threads n=2] [--warmup s=3] [--rounds n=5] [--tool wrk|autocannon] [--repeat-visitor | --visitors n] [--links n] [--side-by-side] [--profile]',
    );
    process.exit(0);
  }
  const connections = positiveInt('connections', values.connections, 32);
  const threads = Math.min(positiveInt('threads', values.threads, 2), connections);
  const tool = values.tool ?? (hasWrk() ? 'wrk' : 'autocannon');
  if (tool !== 'wrk' && tool !== 'autocannon') throw new Error('--tool must be wrk or autocannon');
  if (tool === 'wrk' && !hasWrk()) throw new Error('--tool wrk given but wrk is not installed');
  if (values.visitors !== undefined && values['repeat-visitor'])
    throw new Error('--visitors and --repeat-visitor exclude each other');
  if (values.visitors !== undefined && tool !== 'wrk') throw new Error('--visitors needs wrk');
  // Who clicks: 'new' (every click a new visitor), N visitors in turn, or 'one' visitor.
  const visitors: Visitors =
    values.visitors !== undefined
      ? positiveInt('visitors', values.visitors, 1)
      : values['repeat-visitor'] || tool !== 'wrk'
        ? 'one'
        : 'new';
  const links = positiveInt('links', values.links, 1);
  if (links > 1 && tool !== 'wrk') throw new Error('--links needs wrk');
  return {
    visitors,
    links,
    duration: positiveInt('duration', values.duration, 10),
    connections,
    threads,
    warmup: values.warmup === '0' ? 0 : positiveInt('warmup', values.warmup, 3),
    rounds: positiveInt('rounds', values.rounds, 5),
    tool: tool as 'wrk' | 'autocannon',
    profile: values.profile === true,
    sideBySide: values['side-by-side'] === true,
  };
}

type Visitors = 'new' | 'one' | number;

const describeVisitors = (visitors: Visitors) =>
  visitors === 'new' ? 'every click a new visitor' : visitors === 'one' ? 'one visitor' : `${fmt(visitors)} visitors in turn`;

function hasWrk(): boolean {
  return spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined;
}

let phaseStarted = Date.now();
function phase(message: string): void {
  const now = Date.now();
  console.log(`[bench ${((now - phaseStarted) / 1000).toFixed(1).padStart(5)} s] ${message}`);
}

export function parseWrk(output: string): Omit<LoadResult, 'tool'> {
  const read = parseWrkOutput(output);
  return { requestsPerSec: read.requestsPerSec, p99Ms: read.p99Ms, requests: read.requests, errors: read.socketErrors, badStatus: read.badStatus };
}

/**
 * Browser agents with a weight each (of 100), set by hand to resemble a consumer audience: mobile
 * first, Chrome and Safari ahead, then Edge, Samsung Internet, Firefox, Opera and an in-app
 * browser. The visitors' agents are drawn from it.
 */
const VISITOR_UAS: readonly [weight: number, agent: string][] = [
  [22, 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36'],
  [
    20,
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  ],
  [18, 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'],
  [
    6,
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
  ],
  [5, 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15'],
  [5, 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'],
  [
    4,
    'Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36',
  ],
  [
    4,
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1',
  ],
  [3, 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0'],
  [
    3,
    'Mozilla/5.0 (iPad; CPU OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  ],
  [2, 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'],
  [2, 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36'],
  [
    2,
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 OPR/115.0.0.0',
  ],
  [
    2,
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 356.0.0.41.101',
  ],
  [2, 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.0'],
];

/**
 * A wrk script whose requests come from new visitors, or `visitors` in turn (one visitor: no
 * address, one browser agent), and go to the link codes in turn. Each run starts where the runs
 * before it stopped (its first argument) and the threads take turns (the second: how many there
 * are), so a visitor comes back only once all the others have come, and a new visitor is never
 * one of the warm-up's: Lua's unseeded random would start every run at the same visitors.
 * Visitor v's last three address bytes are v times an odd constant modulo 2^24, so distinct for
 * each of the first 16.7M visitors and spread over the space (the first byte, in 11–223, follows
 * from them), and its agent is drawn by weight from v.
 */
function loadScript(dir: string, visitors: Visitors, codes: readonly string[]): string {
  const path = join(dir, 'load.lua');
  // The mix as a table of 100 (or so) slots, so that a visitor's agent is one lookup.
  const slots = VISITOR_UAS.flatMap(([weight], i) => Array.from({ length: weight }, () => i + 1));
  const agents = VISITOR_UAS.map(([, ua]) => `"${ua}"`).join(', ');
  const visitor = visitors === 'new' ? 'n' : `n % ${visitors}`;
  const who =
    visitors === 'one'
      ? `local headers = { ["User-Agent"] = "${BROWSER_UA}" }`
      : `local v = ${visitor}
  local a = (v * 10368889) % 16777216
  local ip = string.format("%d.%d.%d.%d", 11 + (a % 197 + math.floor(v / 16777216)) % 213, math.floor(a / 65536), math.floor(a / 256) % 256, a % 256)
  local headers = { ["X-Forwarded-For"] = ip, ["User-Agent"] = agents[slots[(v * 40503) % #slots + 1]] }`;
  writeFileSync(
    path,
    `local agents, slots, codes, n = { ${agents} }, { ${slots.join(', ')} }, { ${codes.map((c) => `"${c}"`).join(', ')} }, 0
local threads, step = 0, 1
setup = function(thread) thread:set("index", threads); threads = threads + 1 end
init = function(args) n = tonumber(args[1]) + tonumber(wrk.thread:get("index")); step = tonumber(args[2]) end
request = function()
  ${who}
  local path = "/c/" .. codes[n % #codes + 1]
  n = n + step
  return wrk.format(nil, path, headers)
end
`,
  );
  return path;
}

function runWrk(
  url: string,
  seconds: number,
  connections: number,
  threads: number,
  pinned: boolean,
  script: { path: string; start: number } | undefined,
): Promise<LoadResult> {
  const who = script ? ['-s', script.path] : ['-H', `User-Agent: ${BROWSER_UA}`];
  const scriptArgs = script ? ['--', String(script.start), String(threads)] : [];
  const wrkArgs = [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, '--latency', ...who, url, ...scriptArgs];
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

/** Clicks stored so far, and how many of them were a visitor's unique click. */
function countClicks(dataDir: string): { all: number; unique: number } {
  const db = new BetterSqlite3(join(dataDir, 'clickledger.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT count(*) AS "all", coalesce(sum(is_unique), 0) AS "unique" FROM clicks').get() as {
      all: number;
      unique: number;
    };
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

interface Slice extends LoadResult {
  seconds: number;
  /** CPU the server process used during the slice (user + system). */
  cpuSeconds: number;
}

/** User + system CPU seconds of a process so far (Linux /proc); NaN elsewhere. */
function cpuSeconds(pid: number): number {
  try {
    // Fields after the command name, which is in parentheses and may hold spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}
/** USER_HZ: 100 on every Linux this runs on (`getconf CLK_TCK`). */
const CLOCK_TICKS_PER_SECOND = 100;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The slices of one side as one run: rates over the total time, the median and worst slice p99. */
function combine(slices: Slice[]): LoadResult & { cpuMicrosPerResponse: number; p99WorstMs: number } {
  const sum = (pick: (s: Slice) => number) => slices.reduce((total, s) => total + pick(s), 0);
  const requests = sum((s) => s.requests);
  return {
    tool: slices[0]!.tool,
    requestsPerSec: sum((s) => s.requestsPerSec * s.seconds) / sum((s) => s.seconds),
    p99Ms: median(slices.map((s) => s.p99Ms)),
    p99WorstMs: Math.max(...slices.map((s) => s.p99Ms)),
    requests,
    errors: sum((s) => s.errors),
    badStatus: sum((s) => s.badStatus),
    cpuMicrosPerResponse: (sum((s) => s.cpuSeconds) * 1e6) / Math.max(requests, 1),
  };
}

/** `count` more links of the seeded affiliate in the seeded program, made through the API. */
async function moreLinks(baseUrl: string, seeded: SeededLink, count: number): Promise<string[]> {
  const codes: string[] = [];
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${baseUrl}/v1/links`, {
      method: 'POST',
      headers: { authorization: `Bearer ${seeded.affiliateKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ programId: seeded.programId, sub1: `bench-${i}` }),
    });
    if (response.status !== 201) throw new Error(`POST /v1/links → ${response.status}: ${await response.text()}`);
    codes.push(((await response.json()) as { code: string }).code);
    if ((i + 1) % 500 === 0) phase(`made ${i + 1} of ${count} more links`);
  }
  return codes;
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
    `settings: ${options.duration} s per side in ${options.rounds} alternating slices after ${options.warmup} s warm-up each, ` +
      `${options.connections} connections, ${describeVisitors(options.visitors)}, ` +
      `${options.links === 1 ? 'one link' : `${options.links} links`}, ` +
      `${options.tool}${options.tool === 'wrk' ? ` (${options.threads} threads)` : ''}; ` +
      (pinned ? `servers on CPU ${SERVER_CPU}, load on CPU ${LOAD_CPU}` : 'not pinned (needs taskset and two CPUs)'),
  );
  if (options.tool === 'autocannon' && pinned) {
    // autocannon runs in this process: move all of its threads to the load CPU.
    spawnSync('taskset', ['-a', '-p', '-c', LOAD_CPU, String(process.pid)], { stdio: 'ignore' });
  }
  const trackedDir = makeTempDir('clickledger-bench-');
  let script: string | undefined;
  /** Per server, where its next run starts in the script's sequence of visitors and links. */
  const sent = new Map<string, number>();
  const load = async (url: string, seconds: number): Promise<LoadResult> => {
    if (options.tool !== 'wrk') return runAutocannon(url, seconds, options.connections);
    const start = sent.get(url) ?? 0;
    const result = await runWrk(
      url,
      seconds,
      options.connections,
      options.threads,
      pinned,
      script === undefined ? undefined : { path: script, start },
    );
    // Requests still in flight when wrk stopped took their turn too: at most one per connection.
    const taken = result.requests + options.connections;
    // With new visitors, past the highest number any thread may have reached (the threads step
    // through the sequence in turn but not at one pace), so that no visitor comes back.
    sent.set(url, start + (options.visitors === 'new' ? taken * options.threads : taken));
    return result;
  };

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
      // No batch run landing inside the measurement; visitors other than the one are named by X-Forwarded-For.
      env: { BATCH_INTERVAL_SECONDS: '0', ...(options.visitors !== 'one' ? { TRUST_PROXY: 'true' } : {}) },
      ...(profileDir ? { nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] } : {}),
    });
    phase(`clickledger listening at ${tracked.url} (data in ${trackedDir}); seeding a link through the API`);
    const link = await seedLink(tracked.url);
    const codes = [link.code, ...(await moreLinks(tracked.url, link, options.links - 1))];
    if (options.visitors !== 'one' || codes.length > 1) script = loadScript(trackedDir, options.visitors, codes);
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
      phase(`warming up both (${options.warmup} s each)`);
      await load(bareUrl, options.warmup);
      await load(trackedUrl, options.warmup);
      await sleep(300); // let clicks still in flight when the tool stopped commit before counting
    }
    // Other work on a shared machine comes and goes; alternating short slices of the two lets
    // both sides see the same conditions. CPU time per response is the steadier figure there.
    const slice = Math.max(1, Math.round(options.duration / options.rounds)); // wrk takes whole seconds
    const bareSlices: Slice[] = [];
    const trackedSlices: Slice[] = [];
    const clicksBefore = countClicks(trackedDir);
    const measuredFrom = Date.now();
    const sides = [
      ['bare Hono', bare, bareUrl, bareSlices],
      ['tracked redirect', tracked, trackedUrl, trackedSlices],
    ] as const;
    const measure = async ([name, server, url, slices]: (typeof sides)[number], round: number) => {
      const cpuBefore = cpuSeconds(server.pid);
      const result = await load(url, slice);
      const cpu = cpuSeconds(server.pid) - cpuBefore;
      slices.push({ ...result, seconds: slice, cpuSeconds: cpu });
      phase(
        `round ${round}/${options.rounds}, ${name}: ${fmt(result.requestsPerSec)} req/s, p99 ${result.p99Ms.toFixed(2)} ms, ` +
          `server CPU ${fmt((cpu * 1e6) / Math.max(result.requests, 1))} µs per response`,
      );
    };
    for (let round = 1; round <= options.rounds; round++) {
      if (options.sideBySide) await Promise.all(sides.map((side) => measure(side, round)));
      else for (const side of sides) await measure(side, round);
    }
    const measuredSeconds = (Date.now() - measuredFrom) / 1000;
    const bareResult = combine(bareSlices);
    const trackedResult = combine(trackedSlices);
    await bare.kill('SIGTERM');
    bare = undefined;
    phase('stopping clickledger (SIGTERM: flushes and closes the database) and counting committed clicks');
    const stopAt = Date.now();
    const exit = await tracked.kill('SIGTERM');
    const stopLagSeconds = (Date.now() - stopAt) / 1000;
    tracked = undefined;
    if (exit.code !== 0) phase(`warning: clickledger exited with code ${exit.code}, signal ${exit.signal}`);
    const clicksAfter = countClicks(trackedDir);
    const committed = clicksAfter.all - clicksBefore.all;
    const uniqueShare = (clicksAfter.unique - clicksBefore.unique) / Math.max(1, committed);

    const ratio = trackedResult.requestsPerSec / bareResult.requestsPerSec;
    const redirects = trackedResult.requests - trackedResult.badStatus;
    console.log('');
    console.log(
      `GET /c/:code, ${options.connections} connections, ${options.duration} s each in ${options.rounds} ` +
        `${options.sideBySide ? 'simultaneous slices (the two servers sharing one CPU)' : 'alternating slices'}, ${bareResult.tool}` +
        (pinned ? `, server${options.sideBySide ? 's' : ''} on CPU ${SERVER_CPU}, load on CPU ${LOAD_CPU}` : ''),
    );
    console.log(
      table([
        ['', 'req/s', 'p99 ms (median slice)', 'p99 ms (worst slice)', 'CPU µs/response', 'responses', 'errors'],
        [
          'bare Hono 302',
          fmt(bareResult.requestsPerSec),
          bareResult.p99Ms.toFixed(2),
          bareResult.p99WorstMs.toFixed(2),
          fmt(bareResult.cpuMicrosPerResponse),
          fmt(bareResult.requests),
          fmt(bareResult.errors + bareResult.badStatus),
        ],
        [
          'tracked redirect',
          fmt(trackedResult.requestsPerSec),
          trackedResult.p99Ms.toFixed(2),
          trackedResult.p99WorstMs.toFixed(2),
          fmt(trackedResult.cpuMicrosPerResponse),
          fmt(trackedResult.requests),
          fmt(trackedResult.errors + trackedResult.badStatus),
        ],
        [
          'tracked / bare',
          `${(ratio * 100).toFixed(1)} %`,
          `${(trackedResult.p99Ms / bareResult.p99Ms).toFixed(2)}x`,
          '',
          `${((100 * bareResult.cpuMicrosPerResponse) / trackedResult.cpuMicrosPerResponse).toFixed(1)} % (bare / tracked)`,
          '',
          '',
        ],
      ]),
    );
    // Each round's two slices ran back to back (or at once), so their ratio is the least disturbed by other work.
    const roundRatios = trackedSlices.map((t, i) => t.requestsPerSec / bareSlices[i]!.requestsPerSec);
    console.log(
      `tracked / bare req/s round by round: ${roundRatios.map((r) => (100 * r).toFixed(1)).join(', ')} % ` +
        `(median ${(100 * median(roundRatios)).toFixed(1)} %)`,
    );
    console.log('');
    console.log(
      `clicks committed during the measured run: ${fmt(committed)}; 302s reported by ${trackedResult.tool}: ${fmt(redirects)}; ` +
        `difference ${fmt(committed - redirects)} ` +
        (committed >= redirects
          ? '(committed ≥ reported, as P1 requires; the excess is requests still in flight when the tool stopped)'
          : '(FEWER clicks committed than 302s reported: P1 broken)'),
    );
    console.log(
      `links: ${fmt(options.links)}; visitors: ${describeVisitors(options.visitors)}; ` +
        `${(100 * uniqueShare).toFixed(1)} % of the measured clicks were a visitor's unique click of the hour`,
    );
    if (committed < redirects) process.exitCode = 1;
    if (profileDir) {
      const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
      console.log('');
      if (file) for (const line of summariseProfile(join(profileDir, file), measuredSeconds, stopLagSeconds)) console.log(line);
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
