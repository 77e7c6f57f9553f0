/**
 * `npm run bench:edge [-- --duration 5 --connections 16 --warmup 2]`
 *
 * The tracked redirect on both runtimes in one run, the same load tool for each: the Node
 * server (better-sqlite3, group commit; a link made through the API) and the Workers bundle
 * (`wrangler deploy --dry-run`) in local workerd through Miniflare, with Miniflare's local D1
 * and Queue (the redirect awaits queue.send, the consumer writes the clicks with batch()).
 * Prints req/s, p99 and, for workerd, the clicks the consumer wrote against the 302s answered.
 * Local D1 and Queues are simulations on this machine: the point is that the edge path works
 * and what it costs here, not Cloudflare's production speed.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { Miniflare } from 'miniflare';
import { seedLink } from '../test/support/seed-link';
import {
  killAllServers,
  makeTempDir,
  REPO_ROOT,
  removeDir,
  startServer,
  type ServerProcess,
} from '../test/support/server-process';

const BROWSER_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const QUEUE = 'clickledger-clicks';

const { values } = parseArgs({
  options: { duration: { type: 'string' }, connections: { type: 'string' }, warmup: { type: 'string' } },
});
const duration = Number(values.duration ?? 5);
const connections = Number(values.connections ?? 16);
const warmup = Number(values.warmup ?? 2);

const hasWrk = spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined;

interface Load {
  rps: number;
  p99Ms: number;
  redirects: number;
  other: number;
}

/** wrk when installed (out of process), else autocannon in this process. */
async function load(url: string, seconds: number): Promise<Load> {
  if (hasWrk) {
    const out = spawnSync(
      'wrk',
      ['-t2', `-c${connections}`, `-d${seconds}s`, '--latency', '-H', `User-Agent: ${BROWSER_UA}`, url],
      { encoding: 'utf8' },
    ).stdout;
    const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? NaN);
    const p99 = /^\s*99(?:\.0+)?%\s+([\d.]+)(us|ms|s)/m.exec(out);
    const total = num(/(\d+) requests in /);
    const bad = num(/Non-2xx or 3xx responses: (\d+)/) || 0;
    const p99Ms = p99 ? Number(p99[1]) * (p99[2] === 'us' ? 0.001 : p99[2] === 's' ? 1000 : 1) : NaN;
    return { rps: num(/Requests\/sec:\s+([\d.]+)/), p99Ms, redirects: total - bad, other: bad };
  }
  const { default: autocannon } = await import('autocannon');
  const r = await autocannon({ url, connections, duration: seconds, headers: { 'user-agent': BROWSER_UA } });
  const redirects = Number(r.statusCodeStats?.['302']?.count ?? 0);
  const answered = Object.values(r.statusCodeStats ?? {}).reduce((n, s) => n + Number(s.count), 0);
  return { rps: r.requests.average, p99Ms: r.latency.p99, redirects, other: answered - redirects };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const log = (message: string) => console.log(`[bench:edge] ${message}`);

async function measureNode(): Promise<Load> {
  const dir = makeTempDir('clickledger-edge-bench-');
  let server: ServerProcess | undefined;
  try {
    server = await startServer({ dataDir: dir, root: REPO_ROOT });
    const link = await seedLink(server.url);
    const url = `${server.url}/c/${link.code}`;
    if (warmup > 0) await load(url, warmup);
    log(`Node: loading ${url} for ${duration} s`);
    return await load(url, duration);
  } finally {
    await server?.kill('SIGTERM');
    removeDir(dir);
  }
}

async function measureWorkerd(): Promise<Load & { clicks: number; answered: number }> {
  const out = makeTempDir('clickledger-edge-bundle-');
  const build = spawnSync('npx', ['wrangler', 'deploy', '--dry-run', '--outdir', out], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
  });
  if (build.status !== 0) throw new Error(`wrangler deploy --dry-run failed:\n${build.stdout}\n${build.stderr}`);
  const toml = readFileSync(join(REPO_ROOT, 'wrangler.toml'), 'utf8');
  const mf = new Miniflare({
    modules: true,
    scriptPath: join(out, 'worker.js'),
    modulesRoot: out,
    compatibilityDate: /compatibility_date = "([^"]+)"/.exec(toml)![1]!,
    compatibilityFlags: ['nodejs_compat'],
    d1Databases: { DB: 'bench' },
    queueProducers: { CLICKS: { queueName: QUEUE } },
    queueConsumers: { [QUEUE]: { maxBatchSize: 100, maxBatchTimeout: 1 } },
    bindings: {
      CLICK_SIGNING_KEYS: '1:bench-signing-secret-0123456789abcdef0123',
      VISITOR_HASH_KEY: 'bench-visitor-key-0123456789abcdef0123',
      PUBLIC_URL: 'https://go.example.com',
    },
  });
  try {
    const base = await mf.ready;
    const db = await mf.getD1Database('DB');
    for (const migration of await readD1Migrations(join(REPO_ROOT, 'sql/sqlite'))) {
      for (const query of migration.queries) await db.prepare(query).run();
    }
    const now = new Date().toISOString();
    const plan = JSON.stringify({ default: { percent: '8' } });
    await db.batch([
      db.prepare("INSERT INTO merchants (id, name, created_at) VALUES (1, 'Bench', ?)").bind(now),
      db.prepare("INSERT INTO affiliates (id, name, created_at) VALUES (1, 'Bench', ?)").bind(now),
      db
        .prepare(
          `INSERT INTO programs (id, merchant_id, name, landing_url, allowed_domains, currency, cookie_days, lock_days, plan, status, created_at, updated_at)
           VALUES (1, 1, 'Bench', 'https://shop.example/', '["shop.example"]', 'EUR', 30, 0, ?, 'active', ?, ?)`,
        )
        .bind(plan, now, now),
      db
        .prepare(
          "INSERT INTO program_affiliates (program_id, affiliate_id, status, created_at, updated_at) VALUES (1, 1, 'approved', ?, ?)",
        )
        .bind(now, now),
      db.prepare("INSERT INTO links (id, code, program_id, affiliate_id, created_at) VALUES (1, 'benchLink', 1, 1, ?)").bind(now),
    ]);
    const url = new URL('/c/benchLink', base).toString();
    const probe = await fetch(url, { redirect: 'manual', headers: { 'user-agent': BROWSER_UA } });
    if (probe.status !== 302 || !probe.headers.get('location')?.includes('clid='))
      throw new Error(`workerd probe: ${probe.status}`);
    const warm = warmup > 0 ? await load(url, warmup) : undefined;
    const count = async () => Number((await db.prepare('SELECT count(*) AS n FROM clicks').first<{ n: number }>())?.n ?? 0);
    log(`workerd: loading ${url} for ${duration} s`);
    const result = await load(url, duration);
    // Every 302 of the warm-up and the run must become a row once the consumer has drained the queue.
    const answered = (warm?.redirects ?? 0) + result.redirects + 1; // + the probe
    let stored = await count();
    for (let waited = 0; stored < answered && waited < 60; waited++) {
      await new Promise((r) => setTimeout(r, 1000));
      stored = await count();
      if (waited % 5 === 4) log(`workerd: ${fmt(stored)} of ${fmt(answered)} clicks written so far`);
    }
    return { ...result, clicks: stored, answered };
  } finally {
    await mf.dispose();
    removeDir(out);
  }
}

async function main() {
  log(
    `${duration} s per runtime after ${warmup} s warm-up, ${connections} connections, ${hasWrk ? 'wrk' : 'autocannon'}; not pinned`,
  );
  const node = await measureNode();
  const edge = await measureWorkerd();
  console.log('');
  console.log(`GET /c/:code, ${connections} connections, ${duration} s each, same machine, same run`);
  console.log('runtime                         req/s   p99 (ms)   302s      clicks stored');
  console.log(
    `Node (SQLite group commit)   ${fmt(node.rps).padStart(8)}   ${node.p99Ms.toFixed(1).padStart(8)}   ${fmt(node.redirects).padStart(7)}   (committed before each 302)`,
  );
  console.log(
    `workerd (local Queue + D1)   ${fmt(edge.rps).padStart(8)}   ${edge.p99Ms.toFixed(1).padStart(8)}   ${fmt(edge.redirects).padStart(7)}   ` +
      `${fmt(edge.clicks)} rows for ${fmt(edge.answered)} 302s (warm-up and probe included) after the consumer drained`,
  );
  console.log(`workerd / Node: ${((edge.rps / node.rps) * 100).toFixed(0)} % of the throughput`);
  if (edge.clicks < edge.answered) {
    console.log('FEWER clicks stored than 302s answered at the edge: P1 broken');
    process.exitCode = 1;
  }
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => killAllServers());
