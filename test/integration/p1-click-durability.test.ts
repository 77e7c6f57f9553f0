/**
 * Proves P1 (no acknowledged click is lost when the process is killed: the 302 goes out only
 * after the click row is committed) and P24 (after any crash the service restarts with no
 * manual repair). See docs/promises.md.
 *
 * How: the real server runs as a child process (`node dist/node.js`, what `npm start` runs). 16
 * keep-alive client loops hammer `GET /c/:code`; every click id read from a 302 `Location` is
 * `acked`. One more loop creates affiliates through the API meanwhile, so that Kysely
 * transactions on the same SQLite connection interleave with the click group commits (its 201s
 * are checked too). A random 150–700 ms after the round's first ack the server gets `kill -9`
 * (SIGKILL: no shutdown hook, no flush); whatever a client did not receive counts as not acked.
 * The server is then restarted on the same DATA_DIR, untouched (P24: if it needed repair, the
 * restart would fail and so would the test). Ten rounds. At the end the SQLite file is opened
 * read-only and checked with the Jepsen set checker: `lost = acked − present = ∅`, `dups = rows
 * − distinct click_id = 0`, `PRAGMA integrity_check = ok`, and more than 1000 acked clicks in
 * total so that a run that exercised nothing cannot pass.
 *
 * How it fails: if the recorder resolved before its transaction committed (e.g. `resolve()` in
 * `record()` and the commit left to the next `setImmediate` or a timer), 302s carrying a click id
 * would go out for rows a kill then loses, and `lost` would be non-empty. This was shown once
 * against a copy of the tree with exactly that change (`resolve` called in `record()`, the group
 * still committed on the next `setImmediate`; CLICKLEDGER_SERVER_ROOT pointed at the copy): all
 * three runs failed (e.g. `lost 68` of 4281 acked, `lost 83` of 3388); the unmodified tree passes.
 */
import { Agent, request } from 'node:http';
import BetterSqlite3 from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type KillRound,
  killAllServers,
  killUnderLoad,
  makeTempDir,
  removeDir,
  type ServerProcess,
  startServer,
  TEST_ADMIN_TOKEN,
} from '../support/server-process';
import { seedLink } from '../support/seed-link';

const ROUNDS = 10;
/** On a loaded machine a round acknowledges fewer clicks: more rounds until the check means something. */
const MIN_ACKED = 1000;
const MAX_ROUNDS = 30;
const CLIENTS = 16;
const KILL_AFTER_MS: [number, number] = [150, 700];
/** Bounds on every round's load, whatever happens: requests per client loop, and wall time. */
const MAX_REQUESTS_PER_CLIENT = 20_000;
const FIRST_ACK_TIMEOUT_MS = 3_000;
const MAX_ROUND_MS = FIRST_ACK_TIMEOUT_MS + KILL_AFTER_MS[1] + 1_000;
const REQUEST_TIMEOUT_MS = 2_000;
const MAX_WRITES_PER_ROUND = 200;
const WRITE_INTERVAL_MS = 5;
const BROWSER_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

type Outcome = { kind: 'acked'; clickId: string } | { kind: 'untracked' } | { kind: 'error'; message: string };

/** One GET /c/:code on a keep-alive agent; never throws. Only a 302 with a clid is an ack. */
function click(agent: Agent, port: number, code: string): Promise<Outcome> {
  return new Promise((resolveOutcome) => {
    let done = false;
    const finish = (outcome: Outcome) => {
      if (!done) {
        done = true;
        resolveOutcome(outcome);
      }
    };
    const req = request(
      { host: '127.0.0.1', port, path: `/c/${code}`, method: 'GET', agent, headers: { 'user-agent': BROWSER_UA } },
      (res) => {
        const status = res.statusCode;
        const location = res.headers.location;
        // The ack is the complete response: wait for its end, as a browser would before following it.
        res.on('error', (error) => finish({ kind: 'error', message: String(error) }));
        res.on('end', () => {
          if (status !== 302 || location === undefined) {
            finish({ kind: 'error', message: `status ${status}` });
            return;
          }
          const url = new URL(location);
          const clickId = url.searchParams.get('clid');
          if (url.origin !== 'https://shop.example') finish({ kind: 'error', message: `redirect to ${url.origin}` });
          else finish(clickId ? { kind: 'acked', clickId } : { kind: 'untracked' });
        });
        res.resume();
      },
    );
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error('request timeout')));
    req.on('error', (error) => finish({ kind: 'error', message: String(error) }));
    req.end();
  });
}

/** POST /v1/affiliates as admin: an API write whose Kysely transaction shares the recorder's connection. */
function createAffiliate(agent: Agent, port: number, name: string): Promise<string | undefined> {
  return new Promise((resolveId) => {
    const body = JSON.stringify({ name });
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/v1/affiliates',
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${TEST_ADMIN_TOKEN}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('error', () => resolveId(undefined));
        res.on('end', () => {
          try {
            resolveId(res.statusCode === 201 ? (JSON.parse(text) as { id: string }).id : undefined);
          } catch {
            resolveId(undefined);
          }
        });
      },
    );
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error('request timeout')));
    req.on('error', () => resolveId(undefined));
    req.end(body);
  });
}

interface RoundResult {
  acked: string[];
  /** Affiliates the writer loop got a 201 for. */
  writes: string[];
  untracked: number;
  errors: number;
  killAfterMs: number;
}

/** Loads the server with CLIENTS loops, SIGKILLs it after a random delay, and returns the acks. */
async function loadAndKill(server: ServerProcess, code: string): Promise<RoundResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS + 1 });
  const acked: string[] = [];
  const writes: string[] = [];
  let untracked = 0;
  let errors = 0;
  const round: KillRound = { killSent: false, stop: false };
  const startedAt = Date.now();
  let onFirstAck!: () => void;
  const firstAck = new Promise<void>((r) => (onFirstAck = r));

  const loop = async () => {
    for (let i = 0; i < MAX_REQUESTS_PER_CLIENT && !round.stop && Date.now() - startedAt < MAX_ROUND_MS; i++) {
      const outcome = await click(agent, server.port, code);
      if (outcome.kind === 'acked') {
        acked.push(outcome.clickId);
        onFirstAck();
      } else if (outcome.kind === 'untracked') untracked++;
      else {
        errors++;
        // Errors before the kill are unexpected but not fatal here: the set check decides.
        // After it the server is gone, so stop hammering a closed port.
        if (round.killSent || round.stop) break;
      }
    }
  };

  // Alongside the clicks, one loop of API writes: each is a Kysely transaction on the same
  // SQLite connection the group commit uses, so a click group must never end up inside one.
  const writer = async () => {
    for (let i = 0; i < MAX_WRITES_PER_ROUND && !round.killSent && Date.now() - startedAt < MAX_ROUND_MS; i++) {
      const id = await createAffiliate(agent, server.port, `writer ${i}`);
      if (id !== undefined) writes.push(id);
      else if (round.killSent) break;
      await new Promise((r) => setTimeout(r, WRITE_INTERVAL_MS));
    }
  };

  const killer = killUnderLoad(server, firstAck, KILL_AFTER_MS, FIRST_ACK_TIMEOUT_MS, round);

  const loops = Array.from({ length: CLIENTS }, loop);
  const [{ exit, killAfterMs }] = await Promise.all([killer, writer(), ...loops]);
  agent.destroy();
  expect(exit.signal, 'the server died of the SIGKILL, not of something else').toBe('SIGKILL');
  return { acked, writes, untracked, errors, killAfterMs };
}

describe('P1 + P24: acknowledged clicks survive kill -9, and the server restarts unaided', () => {
  const dataDir = makeTempDir('clickledger-p1-');
  afterAll(() => {
    killAllServers();
    removeDir(dataDir);
  });

  it(`loses no acked click over ${ROUNDS}+ kill -9 rounds, with no duplicates and an intact database`, async () => {
    let server = await startServer({ dataDir });
    const { code } = await seedLink(server.url);

    const acked = new Set<string>();
    const ackedWrites: string[] = [];
    let ackedResponses = 0;
    let untracked = 0;
    const log: string[] = [];
    for (let round = 1; round <= ROUNDS || (acked.size <= MIN_ACKED && round <= MAX_ROUNDS); round++) {
      const result = await loadAndKill(server, code);
      for (const id of result.acked) acked.add(id);
      ackedResponses += result.acked.length;
      ackedWrites.push(...result.writes);
      untracked += result.untracked;
      log.push(
        `round ${round}: kill after ${result.killAfterMs} ms, acked ${result.acked.length}, ` +
          `untracked ${result.untracked}, errors ${result.errors}, API writes ${result.writes.length}`,
      );
      // P24: the same DATA_DIR, as the crash left it; startServer rejects if the server cannot start.
      server = await startServer({ dataDir });
    }

    // The server that came back from the last crash still tracks; that click is acked too.
    const after = await click(new Agent({ keepAlive: false }), server.port, code);
    expect(after.kind, 'the restarted server records clicks').toBe('acked');
    if (after.kind === 'acked') acked.add(after.clickId);
    ackedResponses++;
    await server.kill('SIGKILL');

    const db = new BetterSqlite3(join(dataDir, 'clickledger.sqlite'), { readonly: true, fileMustExist: true });
    try {
      const integrity = db.pragma('integrity_check', { simple: true });
      const present = new Set(db.prepare('SELECT click_id FROM clicks').pluck().all() as string[]);
      const { n_rows: rows, n_distinct: distinct } = db
        .prepare('SELECT count(*) AS n_rows, count(DISTINCT click_id) AS n_distinct FROM clicks')
        .get() as { n_rows: number; n_distinct: number };
      const lost = [...acked].filter((id) => !present.has(id));
      const affiliates = new Set((db.prepare('SELECT id FROM affiliates').pluck().all() as number[]).map((id) => `aff_${id}`));
      const lostWrites = ackedWrites.filter((id) => !affiliates.has(id));
      const dups = rows - distinct;
      console.info(
        [
          ...log,
          `acked ${acked.size} (responses ${ackedResponses}), untracked 302s ${untracked}, rows ${rows}, ` +
            `unacked rows ${rows - acked.size}, lost ${lost.length}, dups ${dups}, integrity ${String(integrity)}; ` +
            `API writes acked ${ackedWrites.length}, lost ${lostWrites.length}`,
        ].join('\n'),
      );

      expect(ackedResponses, 'every 302 carried a different click id').toBe(acked.size);
      expect(acked.size, 'enough clicks were acknowledged for the check to mean something').toBeGreaterThan(MIN_ACKED);
      expect(lost.length, `lost = acked − present (first few: ${lost.slice(0, 5).join(', ')})`).toBe(0);
      expect(dups, 'dups = rows − distinct click_id').toBe(0);
      expect(lostWrites, 'acknowledged API writes made alongside the clicks').toEqual([]);
      expect(integrity).toBe('ok');
    } finally {
      db.close();
    }
  }, 300_000);
});
