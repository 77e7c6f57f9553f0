import type { Kysely } from 'kysely';
import type { AppCrypto, Clock, Logger } from '../core/deps';
import {
  type CommissionSnapshot,
  type EventType,
  type OutboundEvent,
  POSTBACK_EVENTS,
  commissionEvent,
  expandPostback,
  payoutEvent,
  postbackValues,
  receiverUrlProblem,
  retryDelayMs,
  saleEvent,
} from '../domain/outbound-events';
import { signWebhook, webhookSecretKey } from '../domain/webhook-signature';
import { summarize } from '../payouts/payout-runs';
import type { AtomicWrites } from '../store/atomic-writes';
import type { Database } from '../store/database';
import { type ReceiverAnswer, sendToReceiver } from './receiver-request';

export interface DispatchDeps {
  db: Kysely<Database>;
  writes: AtomicWrites;
  clock: Clock;
  crypto: AppCrypto;
  log: Logger;
  fetch?: typeof fetch | undefined;
  /** http and private addresses allowed (development and tests only). */
  allowPrivate?: boolean | undefined;
}

export interface DispatchOptions {
  /** Per request, answer included (default 10 s). */
  timeoutMs?: number;
  /** Requests in flight at once (default 8). */
  concurrency?: number;
  /** Deliveries claimed per run (default 200). */
  limit?: number;
}

export interface DispatchReport {
  fannedOut: number;
  attempted: number;
  delivered: number;
}

const FAN_OUT_MARK = 'outbound_events_through';
const FAN_OUT_PAGE = 500;
const running = new WeakMap<Kysely<Database>, Promise<DispatchReport>>();

/**
 * One dispatcher run: every committed outbound event not yet fanned out becomes one delivery per
 * subscribed endpoint (and per affiliate postback), then every due delivery is claimed and sent.
 * A run while another is in progress on the same store joins it. Runs off every request: the
 * Node timer and the Workers cron call it, never a request's transaction.
 */
export function dispatchWebhooks(deps: DispatchDeps, options: DispatchOptions = {}): Promise<DispatchReport> {
  const current = running.get(deps.db);
  if (current) return current;
  const run = runOnce(deps, options).finally(() => running.delete(deps.db));
  running.set(deps.db, run);
  return run;
}

async function runOnce(deps: DispatchDeps, options: DispatchOptions): Promise<DispatchReport> {
  const fannedOut = await fanOut(deps);
  const due = await claimDue(deps, options);
  let delivered = 0;
  const queue = [...due];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      if (await attempt(deps, next, options.timeoutMs ?? 10_000)) delivered++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 8, queue.length) }, worker));
  return { fannedOut, attempted: due.length, delivered };
}

async function fanOut(deps: DispatchDeps): Promise<number> {
  let made = 0;
  for (;;) {
    const mark = await deps.db.selectFrom('settings').select('value').where('key', '=', FAN_OUT_MARK).executeTakeFirst();
    const through = Number(mark?.value ?? 0);
    const events = await deps.db
      .selectFrom('outbound_events')
      .select(['seq', 'type', 'merchant_id', 'affiliate_id'])
      .where('seq', '>', through)
      .orderBy('seq')
      .limit(FAN_OUT_PAGE)
      .execute();
    if (events.length === 0) return made;
    const endpoints = await deps.db
      .selectFrom('webhook_endpoints')
      .select(['id', 'merchant_id', 'events'])
      .where('deleted_at', 'is', null)
      .execute();
    const postbacks = new Set(
      (await deps.db.selectFrom('affiliate_postbacks').select('affiliate_id').execute()).map((p) => p.affiliate_id),
    );
    const now = deps.clock.now().toISOString();
    const rows: { event_seq: number; endpoint_id: number | null; postback_affiliate_id: number | null }[] = [];
    for (const event of events) {
      for (const endpoint of endpoints) {
        if (endpoint.merchant_id !== event.merchant_id) continue;
        if ((JSON.parse(endpoint.events) as string[]).includes(event.type)) {
          rows.push({ event_seq: event.seq, endpoint_id: endpoint.id, postback_affiliate_id: null });
        }
      }
      if (event.affiliate_id !== null && postbacks.has(event.affiliate_id) && POSTBACK_EVENTS.includes(event.type as EventType)) {
        rows.push({ event_seq: event.seq, endpoint_id: null, postback_affiliate_id: event.affiliate_id });
      }
    }
    const last = events.at(-1)!.seq;
    await deps.writes.commit([
      ...rows.map((r) =>
        deps.db
          .insertInto('webhook_deliveries')
          .values({ ...r, status: 'pending', next_attempt_at: now, created_at: now, updated_at: now })
          .orIgnore()
          .compile(),
      ),
      deps.db
        .insertInto('settings')
        .values({ key: FAN_OUT_MARK, value: String(last) })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: String(last) }))
        .compile(),
    ]);
    made += rows.length;
    if (events.length < FAN_OUT_PAGE) return made;
  }
}

interface Claimed {
  id: number;
  event_seq: number;
  endpoint_id: number | null;
  postback_affiliate_id: number | null;
  attempts: number;
  failures: number;
}

/** Due deliveries, each claimed by moving its next attempt past this run's timeouts. */
async function claimDue(deps: DispatchDeps, options: DispatchOptions): Promise<Claimed[]> {
  const now = deps.clock.now();
  const leaseUntil = new Date(now.getTime() + 3 * (options.timeoutMs ?? 10_000) + 60_000).toISOString();
  const due = (db: Kysely<Database>) =>
    db
      .selectFrom('webhook_deliveries')
      .select('id')
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', now.toISOString())
      .orderBy('next_attempt_at')
      .limit(options.limit ?? 200);
  return deps.db
    .updateTable('webhook_deliveries')
    .set({ next_attempt_at: leaseUntil })
    .where('id', 'in', due(deps.db))
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', now.toISOString())
    .returning(['id', 'event_seq', 'endpoint_id', 'postback_affiliate_id', 'attempts', 'failures'])
    .execute();
}

/** The event as it is sent: built again from the outbox snapshot on every attempt, to the same bytes. */
export async function buildEvent(deps: Pick<DispatchDeps, 'db'>, seq: number) {
  const row = await deps.db.selectFrom('outbound_events').selectAll().where('seq', '=', seq).executeTakeFirstOrThrow();
  const type = row.type as EventType;
  const snapshot = JSON.parse(row.snapshot) as Record<string, unknown>;
  if (type.startsWith('sale.')) return { event: saleEvent(seq, type, row.created_at, snapshot as never), snapshot };
  if (type.startsWith('commission.')) return { event: commissionEvent(seq, type, row.created_at, snapshot as never), snapshot };
  const summary = await summarize(deps, row.resource_id);
  const data = { ...summary, status: snapshot.status as string, settledAt: snapshot.settled_at as string | null };
  return { event: payoutEvent(seq, type, row.created_at, data), snapshot };
}

interface Outgoing {
  url: string;
  init: RequestInit;
}

async function request(deps: DispatchDeps, d: Claimed, event: OutboundEvent, snapshot: unknown): Promise<Outgoing | string> {
  if (d.endpoint_id !== null) {
    const endpoint = await deps.db
      .selectFrom('webhook_endpoints')
      .select(['url', 'secret', 'deleted_at'])
      .where('id', '=', d.endpoint_id)
      .executeTakeFirstOrThrow();
    if (endpoint.deleted_at !== null) return 'endpoint deleted';
    const body = JSON.stringify(event);
    const timestamp = String(Math.floor(deps.clock.now().getTime() / 1000));
    const signature = signWebhook(
      event.id,
      timestamp,
      new TextEncoder().encode(body),
      webhookSecretKey(endpoint.secret)!,
      deps.crypto.hmacSha256,
    );
    return {
      url: endpoint.url,
      init: {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'clickledger-webhooks/1',
          'webhook-id': event.id,
          'webhook-timestamp': timestamp,
          'webhook-signature': signature,
        },
      },
    };
  }
  const postback = await deps.db
    .selectFrom('affiliate_postbacks')
    .select('url')
    .where('affiliate_id', '=', d.postback_affiliate_id!)
    .executeTakeFirst();
  if (!postback) return 'postback removed';
  const entry = snapshot as CommissionSnapshot;
  const click =
    entry.order_click_id === null
      ? undefined
      : await deps.db
          .selectFrom('clicks')
          .select(['sub1', 'sub2', 'sub3', 'sub4', 'sub5'])
          .where('click_id', '=', entry.order_click_id)
          .executeTakeFirst();
  const subs = click ? [click.sub1, click.sub2, click.sub3, click.sub4, click.sub5] : [];
  return {
    url: expandPostback(postback.url, postbackValues(event, entry, subs)),
    init: { method: 'GET', headers: { 'user-agent': 'clickledger-postbacks/1' } },
  };
}

/** One attempt of one delivery, written down with its outcome; true when the receiver took it. */
async function attempt(deps: DispatchDeps, d: Claimed, timeoutMs: number): Promise<boolean> {
  let answer: ReceiverAnswer;
  try {
    const { event, snapshot } = await buildEvent(deps, d.event_seq);
    const outgoing = await request(deps, d, event, snapshot);
    const refused = typeof outgoing === 'string' ? outgoing : receiverUrlProblem(outgoing.url, deps.allowPrivate ?? false);
    answer =
      typeof outgoing === 'string' || refused !== undefined
        ? { statusCode: null, error: refused!, response: '', latencyMs: 0 }
        : await sendToReceiver(deps.fetch ?? fetch, outgoing.url, outgoing.init, timeoutMs);
  } catch (error) {
    answer = { statusCode: null, error: String(error), response: '', latencyMs: 0 };
  }
  const ok = answer.statusCode !== null && answer.statusCode >= 200 && answer.statusCode < 300;
  const now = deps.clock.now();
  const failures = ok ? 0 : d.failures + 1;
  const delay = ok ? undefined : retryDelayMs(failures, deps.crypto.randomBytes(1)[0]! / 256);
  const status = ok ? 'delivered' : delay === undefined ? 'failed' : 'pending';
  await deps.writes.commit([
    deps.db
      .insertInto('webhook_attempts')
      .values({
        delivery_id: d.id,
        attempt: d.attempts + 1,
        attempted_at: now.toISOString(),
        status_code: answer.statusCode,
        error: answer.error,
        latency_ms: answer.latencyMs,
        response: answer.response,
      })
      .compile(),
    deps.db
      .updateTable('webhook_deliveries')
      .set({
        status,
        attempts: d.attempts + 1,
        failures,
        last_status_code: answer.statusCode,
        last_error: answer.error,
        next_attempt_at: delay === undefined ? null : new Date(now.getTime() + delay).toISOString(),
        updated_at: now.toISOString(),
      })
      .where('id', '=', d.id)
      .compile(),
  ]);
  if (status === 'failed') deps.log.error('webhook delivery failed for good', { delivery: d.id, error: answer.error });
  return ok;
}
