import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';

/**
 * One process owns a DATA_DIR at a time: the server holds the chDB data for its whole life and
 * runs the batch in-process, so a CLI that writes (batch, payouts, seed, …) beside it would
 * either fail on chDB's own lock or, with SQLite alone, write past the server (a payout run the
 * server's batch never saw coming). The server and the writing CLIs take this one lock first.
 *
 * The lock is SQLite's exclusive lock on a file of its own (an fcntl lock held by an open
 * transaction): the OS drops it when the holder exits, even on kill -9, so there is no stale
 * lock to clean up. Who holds it is written beside it, only to name them in the message.
 */
const LOCK_FILE = 'clickledger.owner';
const HOLDER_FILE = 'clickledger.owner.json';

interface Holder {
  pid: number;
  /** `server`, or the CLI's command line, e.g. `npm run batch`. */
  what: string;
  since: string;
}

export class DataDirBusyError extends Error {
  override name = 'DataDirBusyError';
  constructor(
    message: string,
    readonly holder: Holder | undefined,
  ) {
    super(message);
  }
}

/** Held here so the connection (and with it the lock) lives until release or exit, never collected. */
const held = new Set<BetterSqlite3.Database>();

export interface DataDirOwnership {
  release(): void;
}

function readHolder(dataDir: string): Holder | undefined {
  try {
    return JSON.parse(readFileSync(join(dataDir, HOLDER_FILE), 'utf8')) as Holder;
  } catch {
    return undefined;
  }
}

/**
 * Takes DATA_DIR for this process, or throws DataDirBusyError naming who has it. `ifServer`
 * ends the message when the holder is a server: what to do instead (e.g. "use POST /v1/admin/batch").
 */
export function claimDataDir(dataDir: string, what: string, ifServer: string): DataDirOwnership {
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const lock = new BetterSqlite3(join(dir, LOCK_FILE), { timeout: 0 });
  try {
    lock.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    lock.close();
    if ((error as { code?: string }).code !== 'SQLITE_BUSY') throw error;
    const holder = readHolder(dir);
    const who = holder ? `(pid ${holder.pid}, since ${holder.since})` : '';
    throw new DataDirBusyError(
      holder?.what === 'server'
        ? `a server is running on this DATA_DIR ${dir} ${who}; stop it or ${ifServer}`
        : `${holder?.what ?? 'another process'} is using DATA_DIR ${dir} ${who}; wait for it to end`,
      holder,
    );
  }
  const holder: Holder = { pid: process.pid, what, since: new Date().toISOString() };
  writeFileSync(join(dir, HOLDER_FILE), `${JSON.stringify(holder)}\n`);
  held.add(lock);
  return {
    release() {
      if (held.delete(lock)) lock.close();
    },
  };
}
