import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimDataDir } from '../../src/runtime/data-dir-owner';
import { buildDist, makeTempDir, REPO_ROOT, removeDir, startServer, type ServerProcess } from '../support/server-process';

/**
 * The commands as a user runs them (each its own node process on the built dist/ file, as
 * `npm run <name>` starts it after its --if-stale build):
 * --help and bad flags answer before anything is opened, and a writing command beside a running
 * server stops with one line and changes nothing.
 */
const COMMANDS = {
  batch: 'dist/batch.js',
  payouts: 'dist/payouts.js',
  reconcile: 'dist/reconcile.js',
  seed: 'dist/seed.js',
  migrate: 'dist/migrate.js',
  'clickhouse:schema': 'dist/clickhouse-schema.js',
  start: 'dist/node.js',
} as const;

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

beforeAll(() => buildDist());

const dirs: string[] = [];
let server: ServerProcess | undefined;
afterAll(async () => {
  await server?.kill('SIGKILL');
  dirs.forEach(removeDir);
});

function freshDataDir(): string {
  const dir = join(makeTempDir('clickledger-cli-'), 'data');
  dirs.push(join(dir, '..'));
  return dir;
}

function run(file: string, args: string[], dataDir: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, DATA_DIR: dataDir, LOG_FORMAT: 'text', PORT: '0', BATCH_INTERVAL_SECONDS: '0' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

const entries = Object.entries(COMMANDS);

describe('every command', () => {
  it('answers --help with its usage and exit 0, touching nothing', { timeout: 120_000 }, async () => {
    const dataDir = freshDataDir();
    const results = await Promise.all(entries.map(([, file]) => run(file, ['--help'], dataDir)));
    results.forEach((r, i) => {
      const name = entries[i]![0];
      expect(r.status, `${name}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^usage: npm (run )?${name} -- \\[options\\]\n`));
      expect(r.stdout).toContain('--help');
      expect(r.stderr).toBe('');
    });
    expect(existsSync(dataDir)).toBe(false);
  });

  it('answers an unknown flag with the usage on stderr and exit 2, touching nothing', { timeout: 120_000 }, async () => {
    const dataDir = freshDataDir();
    const results = await Promise.all(entries.map(([, file]) => run(file, ['--bogus'], dataDir)));
    results.forEach((r, i) => {
      const name = entries[i]![0];
      expect(r.status, `${name}: ${r.stdout}${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/^Unknown option '--bogus'/);
      expect(r.stderr).toContain(`usage: npm `);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(r.stdout).toBe('');
    });
    expect(existsSync(dataDir)).toBe(false);
  });

  it('says what is wrong with a bad value in one line, exit 2', async () => {
    const dataDir = freshDataDir();
    const [batch, reconcile, payouts] = await Promise.all([
      run(COMMANDS.batch, ['--as-of', 'yesterday'], dataDir),
      run(COMMANDS.reconcile, ['--to', '2026-13-45'], dataDir),
      run(COMMANDS.payouts, ['--minimum', '10.00'], dataDir),
    ]);
    expect([batch.status, batch.stderr]).toEqual([2, '--as-of: not a date-time (npm run batch -- --help for usage)\n']);
    expect([reconcile.status, reconcile.stderr]).toEqual([
      2,
      '--to: not a date (YYYY-MM-DD) (npm run reconcile -- --help for usage)\n',
    ]);
    expect([payouts.status, payouts.stderr]).toEqual([
      2,
      '--as-of, --minimum and --out are required (npm run payouts -- --help for usage)\n',
    ]);
    expect(existsSync(dataDir)).toBe(false);
  });
});

describe('beside a running server', () => {
  it('every writing command stops with one line naming the cause and changes nothing', { timeout: 180_000 }, async () => {
    server = await startServer({ dataDir: freshDataDir(), env: { BATCH_INTERVAL_SECONDS: '0' } });
    const out = join(server.dataDir, 'payout.csv');
    const attempts: [string, string[], string][] = [
      [COMMANDS.batch, [], 'use POST /v1/admin/batch'],
      [COMMANDS.payouts, ['--as-of', new Date().toISOString(), '--minimum', '0.01', '--out', out], 'use POST /v1/payouts'],
      [COMMANDS.reconcile, [], 'use GET /v1/reports/reconciliation with a merchant key'],
      [COMMANDS.seed, ['--clicks', '1'], 'seed another, fresh DATA_DIR'],
      [COMMANDS.migrate, [], 'restart it: the server applies pending migrations at start'],
      [COMMANDS['clickhouse:schema'], [], 'restart it: the server applies the schema at start'],
      [COMMANDS.start, [], 'give this one another DATA_DIR'],
    ];
    const results = await Promise.all(attempts.map(([file, args]) => run(file, args, server!.dataDir)));
    results.forEach((r, i) => {
      const [file, , instead] = attempts[i]!;
      expect(r.status, `${file}: ${r.stdout}${r.stderr}`).toBe(file === COMMANDS.start ? 2 : 1);
      // One line: no chDB "Cannot lock file" before it, no stack trace after it.
      expect(r.stderr.split('\n')).toEqual([
        `a server is running on this DATA_DIR ${server!.dataDir} (pid ${server!.pid}, since ${r.stderr.match(/since (\S+)\)/)?.[1]}); stop it or ${instead}`,
        '',
      ]);
    });
    expect(existsSync(out)).toBe(false);
    // The server still serves, and the batch it was asked for instead runs.
    const batch = await fetch(`${server.url}/v1/admin/batch`, {
      method: 'POST',
      headers: { authorization: 'Bearer test-admin-token-0123456789abcdef', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(batch.status).toBe(200);

    // Once it has stopped, the commands own DATA_DIR again.
    expect(await server.kill('SIGTERM')).toEqual({ code: 0, signal: null });
    const after = await run(COMMANDS.batch, [], server.dataDir);
    expect(after.status, after.stderr).toBe(0);
    expect(after.stdout).toMatch(/^batch as of .*: 0 orders examined/m);
    const store = new BetterSqlite3(join(server.dataDir, 'clickledger.sqlite'), { readonly: true });
    expect(store.prepare('SELECT count(*) AS n FROM payouts').get()).toEqual({ n: 0 });
    store.close();
  });

  it('a server does not start while a command holds DATA_DIR', { timeout: 60_000 }, async () => {
    const dataDir = freshDataDir();
    const held = claimDataDir(dataDir, 'npm run batch', 'unused');
    try {
      const r = await run(COMMANDS.start, [], dataDir);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^npm run batch is using DATA_DIR \S+ \(pid \d+, since \S+\); wait for it to end\n$/);
      expect(existsSync(join(dataDir, 'clickledger.sqlite'))).toBe(false);
    } finally {
      held.release();
    }
  });
});
