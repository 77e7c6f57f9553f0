/**
 * `npm run bench:orders:ab -- OLD_TREE [--slices 40 --per-slice 2000]`
 *
 * Server CPU per signed order event, this tree against another one (e.g. a `git worktree` of
 * the commit before): one server of each on CPU 0, this process (the load) on CPU 1, sending
 * `--per-slice` events over 32 keep-alive connections to one server, then as many to the other,
 * in alternating order, `--slices` times. On a shared machine whose speed drifts by tens of
 * percent within minutes, slices a second long side by side compare the two far more steadily
 * than whole runs. Prints the median and range of CPU µs per order and orders/s of each, and
 * the paired difference per slice. Each tree's server starts with that tree's `npm start` flags.
 */
import { spawnSync } from 'node:child_process';
import { Agent } from 'node:http';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { seedLink } from '../test/support/seed-link';
import { hasTaskset, makeTempDir, removeDir, REPO_ROOT, type ServerProcess, startServer } from '../test/support/server-process';
import { buildEvents, post, processCpuMs, type SignedEvent } from './signed-order-events';

const CONNECTIONS = 32;
const WARMUP = 4_000;
/** Slices signed at a time: the server refuses signatures older than 300 s. */
const SLICES_PER_SIGNING = 8;

interface Side {
  label: string;
  server: ServerProcess;
  agent: Agent;
  secret: string;
  programId: string;
  cpuUs: number[];
  rates: number[];
}

const newAgent = () => new Agent({ keepAlive: true, maxSockets: CONNECTIONS, maxFreeSockets: CONNECTIONS });

async function fire(side: Side, events: SignedEvent[]): Promise<{ cpuUs: number; rate: number }> {
  let next = 0;
  let failed = 0;
  const loop = async () => {
    for (let i = next++; i < events.length; i = next++) if (!(await post(side.agent, side.server.port, events[i]!)).ok) failed++;
  };
  const cpuBefore = processCpuMs(side.server.pid)?.total ?? Number.NaN;
  const started = performance.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, loop));
  const seconds = (performance.now() - started) / 1000;
  if (failed > 0) throw new Error(`${side.label}: ${failed} events not acknowledged`);
  const cpuMs = (processCpuMs(side.server.pid)?.total ?? Number.NaN) - cpuBefore;
  return { cpuUs: (1000 * cpuMs) / events.length, rate: events.length / seconds };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const range = (xs: number[]) => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;

async function main() {
  const { values, positionals } = parseArgs({
    options: { slices: { type: 'string' }, 'per-slice': { type: 'string' } },
    allowPositionals: true,
  });
  if (positionals.length !== 1) throw new Error('usage: bench-orders-ab.ts OLD_TREE [--slices n=40] [--per-slice n=2000]');
  const slices = Number(values.slices ?? 40);
  const perSlice = Number(values['per-slice'] ?? 2000);
  const pinned = hasTaskset();
  if (pinned) spawnSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
  const sides: Side[] = [];
  try {
    for (const [label, root] of [
      ['other', resolve(positionals[0]!)],
      ['this', REPO_ROOT],
    ] as const) {
      const server = await startServer({
        root,
        dataDir: makeTempDir('clickledger-bench-ab-'),
        ...(pinned ? { cpus: '0' } : {}),
        env: { BATCH_INTERVAL_SECONDS: '0' },
      });
      const seeded = await seedLink(server.url);
      sides.push({
        label,
        server,
        agent: newAgent(),
        secret: seeded.webhookSecret,
        programId: seeded.programId,
        cpuUs: [],
        rates: [],
      });
    }
    for (const side of sides) await fire(side, buildEvents(side.secret, side.programId, 'W', WARMUP, { percent: 0 }));
    for (let done = 0; done < slices; done += SLICES_PER_SIGNING) {
      const count = Math.min(SLICES_PER_SIGNING, slices - done);
      const signed = sides.map((side) =>
        Array.from({ length: count }, (_, k) =>
          buildEvents(side.secret, side.programId, `S${done + k}`, perSlice, { percent: 0 }),
        ),
      );
      // Signing can keep a server idle past its keep-alive timeout (5 s), and a socket it closes
      // just as the next slice reuses it fails a request: each slice block starts on fresh ones.
      for (const side of sides) {
        side.agent.destroy();
        side.agent = newAgent();
      }
      for (let k = 0; k < count; k++) {
        const order = (done + k) % 2 === 0 ? [0, 1] : [1, 0];
        for (const i of order) {
          const result = await fire(sides[i]!, signed[i]![k]!);
          sides[i]!.cpuUs.push(result.cpuUs);
          sides[i]!.rates.push(result.rate);
        }
      }
    }
    for (const side of sides) {
      console.log(
        `${side.label === 'this' ? 'this tree ' : 'other tree'}  CPU µs per order: median ${median(side.cpuUs).toFixed(0)} [${range(side.cpuUs)}]` +
          `, orders/s: median ${median(side.rates).toFixed(0)} [${range(side.rates)}]`,
      );
    }
    const [other, self] = sides as [Side, Side];
    const change = self.cpuUs.map((us, i) => (100 * (us - other.cpuUs[i]!)) / other.cpuUs[i]!);
    console.log(
      `paired: this tree's CPU per order ${median(change) >= 0 ? '+' : ''}${median(change).toFixed(1)} % (median of ${slices} slices), ` +
        `less in ${change.filter((c) => c < 0).length} of them`,
    );
  } finally {
    for (const side of sides) {
      side.agent.destroy();
      await side.server.kill('SIGTERM');
      removeDir(side.server.dataDir);
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
