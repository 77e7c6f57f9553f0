import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The real clickledger server as a child process, for tests and benchmarks that need a process
 * they can `kill -9`. The child is what `npm start` runs, `node <its flags> dist/node.js` (the
 * built JavaScript, rebuilt first when any source is newer: scripts/build.mjs --if-stale), itself
 * and never an `npx` wrapper, so a signal sent to it reaches the server and not a parent shell.
 */

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** A valid admin token (24+ characters) for servers started here. */
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

const LISTENING = /clickledger listening on http:\/\/localhost:(\d+)/;

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServerProcess {
  /** Base URL on 127.0.0.1, e.g. `http://127.0.0.1:41234`. */
  url: string;
  port: number;
  dataDir: string;
  pid: number;
  child: ChildProcess;
  /** Resolves once the process has exited, whatever the cause. */
  exit: Promise<ExitInfo>;
  /** Sends `signal` (default SIGKILL) unless the process has already exited; resolves on exit. */
  kill(signal?: NodeJS.Signals): Promise<ExitInfo>;
  /** Everything the process wrote so far (stdout and stderr interleaved). */
  output(): string;
}

export interface StartServerOptions {
  /** Data directory; a new temp directory when omitted (the caller removes it: `removeDir(server.dataDir)`). */
  dataDir?: string;
  /** Port to listen on; a free one when omitted. */
  port?: number;
  adminToken?: string;
  /** Extra environment for the child. */
  env?: Record<string, string>;
  /**
   * The source tree to run (default: this repository). Lets a test be pointed at a deliberately
   * broken copy to show that it can fail.
   */
  root?: string;
  /** Entry point, relative to `root`, run through tsx (default: the built server, as `npm start`). */
  entry?: string;
  /** Extra flags for node itself, e.g. `['--cpu-prof']`. */
  nodeFlags?: string[];
  /** Pin the child to these CPUs with `taskset -c` when taskset exists. */
  cpus?: string;
  /** Listening line to wait for; its first group must be the port. */
  readyPattern?: RegExp;
  startTimeoutMs?: number;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** A new empty directory under the OS temp dir. */
export function makeTempDir(prefix = 'clickledger-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolvePort(port) : reject(new Error('no port assigned'))));
    });
  });
}

let tasksetAvailable: boolean | undefined;
export function hasTaskset(): boolean {
  if (tasksetAvailable === undefined) {
    // Asks for this process's own affinity: works wherever taskset does, changes nothing.
    tasksetAvailable = spawnSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' }).status === 0;
  }
  return tasksetAvailable;
}

/** Starts the server and waits for its listening line; rejects with the child's output if it dies first. */
export async function startServer(options: StartServerOptions = {}): Promise<ServerProcess> {
  const pickPort = options.port === undefined;
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort());
    try {
      return await startOnce({ ...options, port });
    } catch (error) {
      // Another process may have taken the free port between the probe and the bind.
      if (pickPort && attempt < 3 && String(error).includes('EADDRINUSE')) continue;
      throw error;
    }
  }
}

/**
 * The node flags `npm start` gives the server (`node <flags> dist/node.js` in that tree's
 * package.json): tests and benchmarks run the server as it is run.
 */
function startFlags(root: string): string[] {
  const file = join(root, 'package.json');
  if (!existsSync(file)) return []; // a copy of src/ alone: no flags to take
  const packageJson = JSON.parse(readFileSync(file, 'utf8')) as { scripts?: { start?: string } };
  return (packageJson.scripts?.start ?? '').split(/\s+/).filter((word) => word.startsWith('--'));
}

/** What `npm start` runs, relative to the tree's root (package.json's `start`). */
const BUILT_SERVER = 'dist/node.js';

/** `npm start`'s prestart (and the CLIs' first step): builds dist/ in `root` unless it is newer than every source. */
export function buildDist(root: string = REPO_ROOT): void {
  const build = spawnSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { cwd: root, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build of ${root} failed:\n${build.stdout}${build.stderr}`);
}

function startOnce(options: StartServerOptions & { port: number }): Promise<ServerProcess> {
  const root = options.root ?? process.env.CLICKLEDGER_SERVER_ROOT ?? REPO_ROOT;
  const dataDir = options.dataDir ?? makeTempDir();
  if (options.entry === undefined) buildDist(root);
  const entry = options.entry === undefined ? [BUILT_SERVER] : ['--import', 'tsx', options.entry];
  const nodeArgs = [...startFlags(root), ...(options.nodeFlags ?? []), ...entry];
  const [command, args] =
    options.cpus !== undefined && hasTaskset()
      ? ['taskset', ['-c', options.cpus, process.execPath, ...nodeArgs]]
      : [process.execPath, nodeArgs];
  const child = spawn(command, args, {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      DATA_DIR: dataDir,
      PORT: String(options.port),
      HOST: '127.0.0.1',
      ADMIN_TOKEN: options.adminToken ?? TEST_ADMIN_TOKEN,
      LOG_FORMAT: 'text',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  installExitHook();

  let output = '';
  const exit = new Promise<ExitInfo>((resolveExit) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolveExit({ code, signal });
    });
  });
  const ready = options.readyPattern ?? LISTENING;
  const timeoutMs = options.startTimeoutMs ?? 20_000;

  return new Promise<ServerProcess>((resolveStart, rejectStart) => {
    let settled = false;
    const fail = (message: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rejectStart(new Error(`${message}\n--- server output ---\n${output}`));
    };
    const timer = setTimeout(() => fail(`server did not report listening within ${timeoutMs} ms`), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      // Bound what is kept: a server under load must not grow the test's memory.
      if (output.length > 200_000) output = output.slice(-100_000);
      if (settled) return;
      const match = ready.exec(output);
      if (!match) return;
      settled = true;
      clearTimeout(timer);
      const port = Number(match[1]);
      const server: ServerProcess = {
        url: `http://127.0.0.1:${port}`,
        port,
        dataDir,
        pid: child.pid!,
        child,
        exit,
        kill(signal: NodeJS.Signals = 'SIGKILL') {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exit;
        },
        output: () => output,
      };
      resolveStart(server);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', (error) => fail(`could not start server: ${String(error)}`));
    void exit.then(({ code, signal }) => fail(`server exited before listening (code ${code}, signal ${signal})`));
  });
}

/** SIGKILLs every child started here that is still running (for afterAll and process exit). */
export function killAllServers(): void {
  for (const child of live) child.kill('SIGKILL');
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', killAllServers);
}

/** Flags the load loops of a kill round read: the kill is on its way, and the server is gone. */
export interface KillRound {
  killSent: boolean;
  stop: boolean;
}

/**
 * `kill -9` the server a random time in `windowMs` after the round's first acknowledgement, so
 * the delay is time under load and not connection setup (P1, P3).
 */
export async function killUnderLoad(
  server: ServerProcess,
  firstAck: Promise<unknown>,
  windowMs: readonly [number, number],
  firstAckTimeoutMs: number,
  round: KillRound,
): Promise<{ exit: ExitInfo; killAfterMs: number }> {
  const killAfterMs = windowMs[0] + Math.floor(Math.random() * (windowMs[1] - windowMs[0] + 1));
  await Promise.race([firstAck, new Promise((r) => setTimeout(r, firstAckTimeoutMs))]);
  await new Promise((r) => setTimeout(r, killAfterMs));
  round.killSent = true;
  const exit = await server.kill('SIGKILL');
  round.stop = true;
  return { exit, killAfterMs };
}
