import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * A throw-away PostgreSQL cluster for one test file: `initdb` in a temp directory, a free local
 * port, no fsync (nothing here outlives the run), stopped and deleted after. Debian's
 * `postgresql` package (`apt-get install -y postgresql`; .ci/run installs it) puts the binaries
 * in PG_BIN. initdb refuses to run as root, so under root they run as the `postgres` user.
 */
export const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';
const INITDB = join(PG_BIN, 'initdb');
const PG_CTL = join(PG_BIN, 'pg_ctl');
const asRoot = process.getuid?.() === 0;

function postgresUser(): { uid: number; gid: number } | undefined {
  try {
    const line = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('postgres:'));
    if (!line) return undefined;
    const [, , uid, gid] = line.split(':');
    return { uid: Number(uid), gid: Number(gid) };
  } catch {
    return undefined;
  }
}

/** Why the PostgreSQL tests cannot run on this machine, or undefined when they can. */
export const postgresSkipReason: string | undefined = !existsSync(INITDB)
  ? `PostgreSQL tests skipped: ${INITDB} not found (apt-get install -y postgresql, or set PG_BIN)`
  : !existsSync(PG_CTL)
    ? `PostgreSQL tests skipped: ${PG_CTL} not found`
    : asRoot && !postgresUser()
      ? 'PostgreSQL tests skipped: running as root and there is no postgres user to run initdb as'
      : undefined;
export const hasPostgres = postgresSkipReason === undefined;
if (postgresSkipReason) console.warn(postgresSkipReason);

export interface PostgresCluster {
  port: number;
  /** A fresh, empty database on the cluster, and its URL. */
  createDatabase(name?: string): Promise<string>;
  stop(): void;
}

function run(command: string, args: string[]): void {
  const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  execFileSync(file, argv, { stdio: 'pipe' });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

let databases = 0;

export async function startPostgresCluster(): Promise<PostgresCluster> {
  if (postgresSkipReason) throw new Error(postgresSkipReason);
  const root = mkdtempSync(join(tmpdir(), 'clickledger-pg-'));
  const data = join(root, 'data');
  if (asRoot) {
    const user = postgresUser()!;
    chownSync(root, user.uid, user.gid);
    chmodSync(root, 0o700);
  }
  run(INITDB, ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  const port = await freePort();
  const options = [
    `-p ${port}`,
    `-k ${root}`,
    "-c listen_addresses='127.0.0.1'",
    '-c fsync=off',
    '-c full_page_writes=off',
    '-c max_connections=200',
  ].join(' ');
  run(PG_CTL, ['-D', data, '-o', options, '-l', join(root, 'log'), '-w', '-t', '60', 'start']);
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    try {
      run(PG_CTL, ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };
  // A test file that crashes still stops its cluster.
  process.once('exit', stop);
  const admin = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    port,
    async createDatabase(name = `t${process.pid}_${++databases}`) {
      const client = new pg.Client(admin);
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name}"`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    stop,
  };
}

/**
 * For a test file: one cluster, started on first use and stopped after the file; each call of
 * `database()` is a new database on it. Register at the file's top level.
 */
export function postgresForFile(afterAll: (fn: () => void) => void): { database(): Promise<string> } {
  let cluster: Promise<PostgresCluster> | undefined;
  afterAll(() => {
    void cluster?.then((c) => c.stop());
  });
  return {
    database: async () => {
      cluster ??= startPostgresCluster();
      return (await cluster).createDatabase();
    },
  };
}
