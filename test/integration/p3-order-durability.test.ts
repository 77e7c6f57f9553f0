/**
 * Proves P3 (no acknowledged order event is lost on `kill -9`: a 2xx from `POST /v1/orders`
 * means the event is stored) and P24 (after any crash the service restarts with no manual
 * repair). See docs/promises.md, and docs/merchants.md for the order event.
 *
 * How: the real server runs as a child process (`node dist/node.js`, what `npm start` runs). A shop
 * with SENDERS concurrent keep-alive loops posts order events signed per Standard Webhooks (with
 * the `standardwebhooks` reference library, not the server's verifier). Every order is distinct
 * and gets a random non-empty subset of created / paid / completed, each event with its own
 * webhook-id; an order's events are shuffled together with other orders' and sent concurrently.
 * Half of the orders carry a real click id, so the attribution lookups run inside the intake's
 * transaction too. Every delivery not answered with a 2xx (connection reset by the kill, timeout,
 * any other status) is retried later as a shop would: same webhook-id, same body bytes, re-signed
 * with a fresh timestamp. A random 150–700 ms after the round's first ack the server gets
 * `kill -9` (SIGKILL: no shutdown hook, no flush) and is restarted on the same DATA_DIR, untouched
 * (P24: if it needed repair, the restart would fail and so would the test). Ten rounds, then one
 * more server drains every delivery still unacknowledged, and a sample of acked deliveries is
 * replayed (they must answer 200 with `duplicate: true`). The SQLite file is then opened read-only
 * and checked with the Jepsen set checker:
 *   - `lost = acked − present = ∅` over webhook-ids in `order_events` (and nothing present that
 *     was never sent);
 *   - `dups = 0`: rows − distinct (merchant_id, external_id) in `orders`, rows − distinct
 *     (merchant_id, delivery_id) in `order_events`;
 *   - every order has exactly as many events as distinct events were sent for it, and the status
 *     those events derive (completed > paid > created), and click orders keep their attribution;
 *   - `PRAGMA integrity_check = ok`;
 *   - more than MIN_ACKED_DURING_KILLS deliveries acked during the kill rounds, so that a run that
 *     exercised nothing cannot pass.
 *
 * How it fails: if a 2xx went out before the event's transaction committed (e.g. the route
 * answering 200 and leaving `recordOrderEvent` to finish in the background, or the group commit
 * resolving its callers before the COMMIT), a kill between the reply and the commit loses an
 * acknowledged event, the shop never retries it, and `lost` is non-empty. This was shown against
 * two temp copies of the tree (CLICKLEDGER_SERVER_ROOT pointed at each; /work/main/src untouched):
 *   - the route handing `recordOrderEvent` to `deps.defer` and answering 200 at once: 3 of 3 runs
 *     failed (`lost 36` of 1426 acked, `lost 25` of 1549, `lost 31` of 1195);
 *   - `sqlite-sync-queries.ts` running the group inside BEGIN, resolving the callers, and sending COMMIT
 *     on the next `setImmediate`: 2 of 2 runs failed (`lost 27` of 2895, `lost 27` of 2137).
 * The unmodified tree passes (`lost 0`).
 */
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Webhook } from 'standardwebhooks';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type KillRound,
  killAllServers,
  killUnderLoad,
  makeTempDir,
  removeDir,
  type ServerProcess,
  startServer,
} from '../support/server-process';
import { seedLink } from '../support/seed-link';

const ROUNDS = 10;
const SENDERS = 8;
const KILL_AFTER_MS: [number, number] = [150, 700];
/** Bounds on the load, whatever happens: orders in all, attempts per loop and round, wall time. */
const MAX_ORDERS = 30_000;
const MAX_ATTEMPTS_PER_SENDER = 20_000;
const FIRST_ACK_TIMEOUT_MS = 3_000;
const MAX_ROUND_MS = FIRST_ACK_TIMEOUT_MS + KILL_AFTER_MS[1] + 1_000;
const DRAIN_TIMEOUT_MS = 20_000;
const REQUEST_TIMEOUT_MS = 2_000;
const REPLAYS = 40;
const MIN_ACKED_DURING_KILLS = 250;
const BROWSER_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

const EVENT_TYPES = ['order.created', 'order.paid', 'order.completed'] as const;
type EventType = (typeof EVENT_TYPES)[number];
const STATUS_OF: Record<EventType, string> = { 'order.created': 'created', 'order.paid': 'paid', 'order.completed': 'completed' };

interface Delivery {
  webhookId: string;
  orderId: string;
  /** The exact bytes signed and sent on every attempt. */
  body: Buffer;
}

interface PlannedOrder {
  id: string;
  types: EventType[];
  clickId: string | null;
}

interface Ack {
  duplicate: boolean;
  affiliateId: string | null;
}

type Outcome =
  { kind: 'acked'; ack: Ack } | { kind: 'refused'; status: number; text: string } | { kind: 'error'; message: string };

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** One signed POST /v1/orders, signed now (fresh timestamp); never throws. Only a 2xx is an ack. */
function post(agent: Agent, port: number, webhook: Webhook, delivery: Delivery): Promise<Outcome> {
  return new Promise((resolveOutcome) => {
    let done = false;
    const finish = (outcome: Outcome) => {
      if (!done) {
        done = true;
        resolveOutcome(outcome);
      }
    };
    const sentAt = new Date();
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/v1/orders',
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': delivery.body.length,
          'webhook-id': delivery.webhookId,
          'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
          'webhook-signature': webhook.sign(delivery.webhookId, sentAt, delivery.body.toString('utf8')),
        },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('error', (error) => finish({ kind: 'error', message: String(error) }));
        // The ack is the complete response, as a shop's HTTP client would see it.
        res.on('end', () => {
          if (status < 200 || status > 299) {
            finish({ kind: 'refused', status, text: text.slice(0, 300) });
            return;
          }
          try {
            const result = JSON.parse(text) as { id: string; duplicate: boolean; attribution: { affiliateId: string | null } };
            if (result.id !== delivery.orderId)
              finish({ kind: 'error', message: `2xx names order ${result.id}, sent ${delivery.orderId}` });
            else finish({ kind: 'acked', ack: { duplicate: result.duplicate, affiliateId: result.attribution.affiliateId } });
          } catch {
            finish({ kind: 'error', message: `2xx with unreadable body ${text.slice(0, 100)}` });
          }
        });
      },
    );
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error('request timeout')));
    req.on('error', (error) => finish({ kind: 'error', message: String(error) }));
    req.end(delivery.body);
  });
}

/** The shop: orders planned on demand, deliveries queued, everything unacknowledged retried. */
class Shop {
  readonly orders = new Map<string, PlannedOrder>();
  readonly deliveries = new Map<string, Delivery>();
  readonly acked = new Map<string, Ack>();
  /** Unacknowledged deliveries: retried before anything new is sent. */
  readonly retry: Delivery[] = [];
  private fresh: Delivery[] = [];
  private nextOrder = 0;
  attempts = 0;
  readonly webhook: Webhook;
  readonly refusals = new Map<string, number>();

  constructor(
    secret: string,
    private readonly programId: string,
    private readonly clickId: string,
    private readonly placedAfterMs: number,
  ) {
    this.webhook = new Webhook(secret);
  }

  /** The next delivery to attempt, retries first; undefined when everything planned is acked. */
  next(allowNewOrders: boolean): Delivery | undefined {
    const again = this.retry.shift();
    if (again) return again;
    if (this.fresh.length === 0 && allowNewOrders) this.planBatch(16);
    return this.fresh.shift();
  }

  /** Sixteen new orders, their events shuffled together, so one order's events race each other. */
  private planBatch(count: number): void {
    const batch: Delivery[] = [];
    for (let k = 0; k < count && this.nextOrder < MAX_ORDERS; k++) {
      const n = this.nextOrder++;
      const id = `P3-${n}`;
      // A random non-empty subset of created / paid / completed.
      const mask = 1 + Math.floor(Math.random() * 7);
      const types = EVENT_TYPES.filter((_, i) => mask & (1 << i));
      const clickId = n % 2 === 0 ? this.clickId : null;
      this.orders.set(id, { id, types, clickId });
      const placedAt = new Date(this.placedAfterMs + n).toISOString();
      for (const type of types) {
        const occurredAt = new Date(this.placedAfterMs + n + 1000 * EVENT_TYPES.indexOf(type)).toISOString();
        const body = {
          type,
          programId: this.programId,
          order: {
            id,
            ...(clickId ? { clickId } : {}),
            currency: 'EUR',
            placedAt,
            customerId: `cust-${n}`,
            items: [{ sku: `SKU-${n % 7}`, category: 'shoes', quantity: 1 + (n % 3), unitPrice: '49.90', discount: '5.00' }],
          },
          occurredAt,
        };
        const delivery = {
          webhookId: `msg_p3_${n}_${type.slice('order.'.length)}`,
          orderId: id,
          body: Buffer.from(JSON.stringify(body)),
        };
        this.deliveries.set(delivery.webhookId, delivery);
        batch.push(delivery);
      }
    }
    this.fresh.push(...shuffle(batch));
  }

  /** Planned deliveries not yet acked (in a queue, or in flight). */
  get unacked(): number {
    return this.deliveries.size - this.acked.size;
  }

  noteRefusal(outcome: Extract<Outcome, { kind: 'refused' }>): void {
    const key = `${outcome.status} ${outcome.text}`;
    this.refusals.set(key, (this.refusals.get(key) ?? 0) + 1);
  }
}

interface RoundResult {
  acked: number;
  duplicates: number;
  errors: number;
  refused: number;
  killAfterMs: number;
}

/** SENDERS loops deliver (retries first) until the server is SIGKILLed a random delay after the first ack. */
async function sendAndKill(server: ServerProcess, shop: Shop): Promise<RoundResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: SENDERS });
  const result = { acked: 0, duplicates: 0, errors: 0, refused: 0 };
  const round: KillRound = { killSent: false, stop: false };
  const startedAt = Date.now();
  let onFirstAck!: () => void;
  const firstAck = new Promise<void>((r) => (onFirstAck = r));

  const loop = async () => {
    for (let i = 0; i < MAX_ATTEMPTS_PER_SENDER && !round.stop && Date.now() - startedAt < MAX_ROUND_MS; i++) {
      const delivery = shop.next(true);
      if (!delivery) break;
      shop.attempts++;
      const outcome = await post(agent, server.port, shop.webhook, delivery);
      if (outcome.kind === 'acked') {
        shop.acked.set(delivery.webhookId, outcome.ack);
        result.acked++;
        if (outcome.ack.duplicate) result.duplicates++;
        onFirstAck();
        continue;
      }
      // Not acknowledged: the shop retries it later (same id, same body, signed afresh).
      shop.retry.push(delivery);
      if (outcome.kind === 'refused') {
        result.refused++;
        shop.noteRefusal(outcome);
      } else result.errors++;
      // After the kill the server is gone: stop hammering a closed port.
      if (round.killSent || round.stop) break;
    }
  };

  const killer = killUnderLoad(server, firstAck, KILL_AFTER_MS, FIRST_ACK_TIMEOUT_MS, round);

  const [{ exit, killAfterMs }] = await Promise.all([killer, ...Array.from({ length: SENDERS }, loop)]);
  agent.destroy();
  expect(exit.signal, 'the server died of the SIGKILL, not of something else').toBe('SIGKILL');
  return { ...result, killAfterMs };
}

/** No more kills: deliver everything still unacknowledged (no new orders), within DRAIN_TIMEOUT_MS. */
async function drain(server: ServerProcess, shop: Shop): Promise<{ acked: number; duplicates: number; attempts: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: SENDERS });
  const startedAt = Date.now();
  let acked = 0;
  let duplicates = 0;
  let attempts = 0;
  const loop = async () => {
    while (shop.unacked > 0 && Date.now() - startedAt < DRAIN_TIMEOUT_MS) {
      const delivery = shop.next(false);
      if (!delivery) {
        // Another loop holds the last deliveries in flight; it requeues them if they fail.
        await new Promise((r) => setTimeout(r, 10));
        continue;
      }
      attempts++;
      shop.attempts++;
      const outcome = await post(agent, server.port, shop.webhook, delivery);
      if (outcome.kind === 'acked') {
        shop.acked.set(delivery.webhookId, outcome.ack);
        acked++;
        if (outcome.ack.duplicate) duplicates++;
      } else {
        if (outcome.kind === 'refused') shop.noteRefusal(outcome);
        shop.retry.push(delivery);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  await Promise.all(Array.from({ length: SENDERS }, loop));
  agent.destroy();
  return { acked, duplicates, attempts };
}

describe('P3 + P24: acknowledged order events survive kill -9, and the server restarts unaided', () => {
  const dataDir = makeTempDir('clickledger-p3-');
  afterAll(() => {
    killAllServers();
    removeDir(dataDir);
  });

  it(`loses no acked order event over ${ROUNDS} kill -9 rounds of signed, retried webhooks`, async () => {
    const testStartedAt = Date.now();
    let server = await startServer({ dataDir });
    const seeded = await seedLink(server.url);
    const clicked = await fetch(`${server.url}/c/${seeded.code}`, { redirect: 'manual', headers: { 'user-agent': BROWSER_UA } });
    const clickId = new URL(clicked.headers.get('location') ?? 'about:blank').searchParams.get('clid');
    expect(clicked.status, 'the seeded link redirects').toBe(302);
    expect(clickId, 'the redirect carries a click id').toBeTruthy();

    const shop = new Shop(seeded.webhookSecret, seeded.programId, clickId!, Date.now() + 1);
    const log: string[] = [];
    let ackedDuringKills = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      const retriesQueued = shop.retry.length;
      const r = await sendAndKill(server, shop);
      ackedDuringKills += r.acked;
      log.push(
        `round ${round}: kill after ${r.killAfterMs} ms, retries queued ${retriesQueued}, acked ${r.acked} ` +
          `(${r.duplicates} as duplicate), errors ${r.errors}, refused ${r.refused}, unacked now ${shop.unacked}`,
      );
      // P24: the same DATA_DIR, as the crash left it; startServer rejects if the server cannot start.
      server = await startServer({ dataDir });
    }

    // The server that came back from the last crash takes everything still unacknowledged.
    const drained = await drain(server, shop);
    log.push(
      `drain: ${drained.attempts} attempts, acked ${drained.acked} (${drained.duplicates} as duplicate), unacked now ${shop.unacked}`,
    );

    // Replays of acknowledged deliveries change nothing and say so.
    const replayAgent = new Agent({ keepAlive: true, maxSockets: 4 });
    const sample = shuffle([...shop.acked.keys()]).slice(0, REPLAYS);
    const replays = await Promise.all(sample.map((id) => post(replayAgent, server.port, shop.webhook, shop.deliveries.get(id)!)));
    replayAgent.destroy();
    await server.kill('SIGKILL');

    const db = new BetterSqlite3(join(dataDir, 'clickledger.sqlite'), { readonly: true, fileMustExist: true });
    try {
      const integrity = db.pragma('integrity_check', { simple: true });
      const present = new Set(db.prepare('SELECT delivery_id FROM order_events').pluck().all() as string[]);
      const lost = [...shop.acked.keys()].filter((id) => !present.has(id));
      const unexpected = [...present].filter((id) => !shop.deliveries.has(id));
      const orderRows = db
        .prepare('SELECT count(*) AS n_rows, count(DISTINCT merchant_id || char(0) || external_id) AS n_distinct FROM orders')
        .get() as { n_rows: number; n_distinct: number };
      const eventRows = db
        .prepare(
          'SELECT count(*) AS n_rows, count(DISTINCT merchant_id || char(0) || delivery_id) AS n_distinct FROM order_events',
        )
        .get() as { n_rows: number; n_distinct: number };
      const dups = orderRows.n_rows - orderRows.n_distinct + (eventRows.n_rows - eventRows.n_distinct);
      const stored = db
        .prepare(
          `SELECT o.external_id AS id, o.status, o.attribution_method AS method, count(e.id) AS events
             FROM orders o LEFT JOIN order_events e ON e.order_id = o.id GROUP BY o.id`,
        )
        .all() as { id: string; status: string; method: string; events: number }[];
      const byId = new Map(stored.map((o) => [o.id, o]));
      const wrongCounts: string[] = [];
      const wrongStatus: string[] = [];
      const wrongAttribution: string[] = [];
      for (const order of shop.orders.values()) {
        const row = byId.get(order.id);
        if (!row || row.events !== order.types.length)
          wrongCounts.push(`${order.id}: sent ${order.types.length}, stored ${row?.events ?? 'no order'}`);
        const expectedStatus = STATUS_OF[order.types[order.types.length - 1]!];
        if (row && row.status !== expectedStatus) wrongStatus.push(`${order.id}: ${row.status}, expected ${expectedStatus}`);
        if (row && row.method !== (order.clickId ? 'click' : 'none')) wrongAttribution.push(`${order.id}: ${row.method}`);
      }
      const strayOrders = stored.filter((o) => !shop.orders.has(o.id)).length;
      const ackedForOtherAffiliate = [...shop.acked.entries()].filter(([id, ack]) => {
        const order = shop.orders.get(shop.deliveries.get(id)!.orderId)!;
        return ack.affiliateId !== (order.clickId ? seeded.affiliateId : null);
      }).length;
      const replayFailures = replays.filter((o) => o.kind !== 'acked' || !o.ack.duplicate).length;
      const seconds = ((Date.now() - testStartedAt) / 1000).toFixed(1);

      console.info(
        [
          ...log,
          `orders ${shop.orders.size}, deliveries ${shop.deliveries.size}, attempts ${shop.attempts}, acked ${shop.acked.size} ` +
            `(${ackedDuringKills} during kill rounds); order_events rows ${eventRows.n_rows}, orders rows ${orderRows.n_rows}; ` +
            `lost ${lost.length}, unexpected ${unexpected.length}, dups ${dups}, wrong event counts ${wrongCounts.length}, ` +
            `wrong status ${wrongStatus.length}, integrity ${String(integrity)}; replays ${replays.length} (${replayFailures} not duplicate); ` +
            `refusals ${JSON.stringify(Object.fromEntries(shop.refusals))}; ${seconds} s`,
        ].join('\n'),
      );

      expect(ackedDuringKills, 'enough deliveries were acknowledged for the check to mean something').toBeGreaterThan(
        MIN_ACKED_DURING_KILLS,
      );
      expect(shop.unacked, 'every delivery was eventually acknowledged').toBe(0);
      expect(lost.length, `lost = acked − present (first few: ${lost.slice(0, 5).join(', ')})`).toBe(0);
      expect(unexpected.length, 'no stored event the shop never sent').toBe(0);
      expect(dups, 'dups = rows − distinct keys, in orders and in order_events').toBe(0);
      expect(strayOrders, 'no stored order the shop never sent').toBe(0);
      expect(wrongCounts.slice(0, 5), "each order's event count = distinct events sent for it").toEqual([]);
      expect(wrongStatus.slice(0, 5), 'each order has the status its events derive').toEqual([]);
      expect(wrongAttribution.slice(0, 5), 'orders with a click id stay attributed by click, the rest by none').toEqual([]);
      expect(ackedForOtherAffiliate, 'every 2xx named the right affiliate (or none)').toBe(0);
      expect([...shop.refusals.keys()], 'no delivery was refused (4xx/5xx): they are all validly signed').toEqual([]);
      expect(replayFailures, 'replays of acked deliveries answer 200 with duplicate: true').toBe(0);
      expect(integrity).toBe('ok');
    } finally {
      db.close();
    }
  }, 180_000);
});
