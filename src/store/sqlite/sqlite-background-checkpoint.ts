import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * WAL checkpoints copy committed pages back into the database file. Run by the writing
 * connection they stall the event loop for tens of milliseconds every few thousand commits
 * (the redirect's p99 showed it). Here a worker thread with its own connection checkpoints
 * in PASSIVE mode, which never blocks writers, on the other core; the main connection's
 * automatic checkpoints are turned off.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 1000');
let stopped = false;
function tick() {
  if (stopped) return;
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch (error) { parentPort.postMessage(String(error)); }
  setTimeout(tick, workerData.intervalMs);
}
parentPort.on('message', (message) => {
  if (message === 'stop') { stopped = true; try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {} db.close(); process.exit(0); }
});
tick();
`;

export interface BackgroundCheckpoint {
  stop(): Promise<void>;
}

export function startBackgroundCheckpoint(
  path: string,
  onError: (message: string) => void,
  intervalMs = 500,
): BackgroundCheckpoint {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, driver, intervalMs } });
  worker.on('message', (message: string) => onError(message));
  worker.unref();
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        worker.once('exit', () => resolve());
        worker.postMessage('stop');
        setTimeout(() => void worker.terminate().then(() => resolve()), 2000).unref();
      }),
  };
}
