import { type Kysely, sql } from 'kysely';
import type { AppCrypto, Clock, Logger } from '../core/deps';
import {
  type CommissionSnapshot,
  type EventType,
  type OutboundEvent,
  type PayoutData,
  POSTBACK_EVENTS,
  AUTO_DISABLE_FAILURES,
  AUTO_DISABLE_HOURS,
  commissionEvent,
  EVENT_TYPES,
  payoutEvent,
  postbackValues,
  type PostbackMacro,
  receiverUrlProblem,
  retryDelayMs,
  saleEvent,
  POSTBACK_TEST_EVENT,
  type PostbackTestSnapshot,
  postbackTestEvent,
  postbackTestValues,
  TEST_EVENT,
  testEvent,
} from '../domain/outbound-events';
import { formatId } from '../domain/ids';
import { postbackRequest } from '../domain/postback-request';
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
      .select([
        'seq',
        'type',
        'merchant_id',
        'affiliate_id',
        sql<number | null>`json_extract(snapshot, '$.program_id')`.as('program_id'),
      ])
      .where('seq', '>', through)
      .orderBy('seq')
      .limit(FAN_OUT_PAGE)
      .execute();
    if (events.length === 0) return made;
    // Paused and disabled endpoints get their deliveries too: they wait, and leave on resume.
    const endpoints = await deps.db
      .selectFrom('webhook_endpoints')
      .select(['id', 'merchant_id', 'events'])
      .where('deleted_at', 'is', null)
      .execute();
    const postbacks = new Set(
      (await deps.db.selectFrom('affiliate_postbacks').select('affiliate_id').execute()).map((p) => String(p.affiliate_id)),
    );
    for (const p of await deps.db.selectFrom('affiliate_program_postbacks').select(['affiliate_id', 'program_id']).execute()) {
      postbacks.add(`${p.affiliate_id}:${p.program_id}`);
    }
    const now = deps.clock.now().toISOString();
    const rows: { event_seq: number; endpoint_id: number | null; postback_affiliate_id: number | null }[] = [];
    for (const event of events) {
      // A test send has its one delivery already; endpoint.disabled waits for the mail sender.
      if (!(EVENT_TYPES as readonly string[]).includes(event.type)) continue;
      for (const endpoint of endpoints) {
        if (endpoint.merchant_id !== event.merchant_id) continue;
        if ((JSON.parse(endpoint.events) as string[]).includes(event.type)) {
          rows.push({ event_seq: event.seq, endpoint_id: endpoint.id, postback_affiliate_id: null });
        }
      }
      const listening =
        event.affiliate_id !== null &&
        (postbacks.has(String(event.affiliate_id)) || postbacks.has(`${event.affiliate_id}:${event.program_id}`));
      if (listening && POSTBACK_EVENTS.includes(event.type as EventType)) {
        rows.push({ event_seq: event.seq, endpoint_id: null, postback_affiliate_id: event.affiliate_id });
      }
    }
    const last = events.at(-1)!.seq;
    await deps.writes.commit([
      ...rows.map((r) =>
        deps.db
          .insertInto('webhook_deliveries')
          .values({ ...r, status: 'pending', next_attempt_at: now, created_at: now, updated_at: now })
          // Not orIgnore(): Kysely spells it for SQLite and MySQL only; this is SQL PostgreSQL shares.
          .onConflict((oc) => oc.doNothing())
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
  const held = deps.db
    .selectFrom('webhook_endpoints')
    .select('id')
    .where((eb) => eb.or([eb('paused_at', 'is not', null), eb('disabled_at', 'is not', null)]));
  const due = deps.db
    .selectFrom('webhook_deliveries')
    .select('id')
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', now.toISOString())
    .where((eb) => eb.or([eb('endpoint_id', 'is', null), eb('endpoint_id', 'not in', held)]))
    .orderBy('next_attempt_at')
    .limit(options.limit ?? 200);
  return deps.db
    .updateTable('webhook_deliveries')
    .set({ next_attempt_at: leaseUntil, claimed_at: now.toISOString() })
    .where('id', 'in', due)
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', now.toISOString())
    .returning(['id', 'event_seq', 'endpoint_id', 'postback_affiliate_id', 'attempts', 'failures'])
    .execute();
}

/**
 * Hands back every delivery a sender still holds, due at once. Only for a process that alone owns
 * the store (the Node server under its DATA_DIR lock), at start-up: a holder can then only be a
 * sender that died with its process, mid-request, and its receiver gets the attempt again.
 */
export async function releaseClaims(deps: Pick<DispatchDeps, 'db' | 'clock'>): Promise<number> {
  const now = deps.clock.now().toISOString();
  const released = await deps.db
    .updateTable('webhook_deliveries')
    .set({ next_attempt_at: now, claimed_at: null, updated_at: now })
    .where('status', '=', 'pending')
    .where('claimed_at', 'is not', null)
    .executeTakeFirst();
  return Number(released.numUpdatedRows);
}

/** The event as it is sent: built again from the outbox snapshot on every attempt, to the same bytes. */
export async function buildEvent(deps: Pick<DispatchDeps, 'db'>, seq: number) {
  const row = await deps.db.selectFrom('outbound_events').selectAll().where('seq', '=', seq).executeTakeFirstOrThrow();
  const type = row.type as EventType;
  const snapshot = JSON.parse(row.snapshot) as Record<string, unknown>;
  if ((row.type as string) === POSTBACK_TEST_EVENT) {
    return { event: postbackTestEvent(seq, row.created_at, snapshot as unknown as PostbackTestSnapshot), snapshot };
  }
  if ((row.type as string) === TEST_EVENT) {
    return { event: testEvent(seq, row.created_at, formatId('webhookEndpoint', row.resource_id)), snapshot };
  }
  if (type.startsWith('sale.')) return { event: saleEvent(seq, type, row.created_at, snapshot as never), snapshot };
  if (type.startsWith('commission.')) return { event: commissionEvent(seq, type, row.created_at, snapshot as never), snapshot };
  return {
    event: payoutEvent(seq, type, row.created_at, await frozenPayout(deps, row.seq, row.resource_id, snapshot)),
    snapshot,
  };
}

/**
 * A payout event's run, written into its snapshot the first time the event is built and read
 * from there ever after, so retries and replays carry the same run to the byte whatever happens
 * to it later. The trigger cannot take the totals itself (the lines are written after the run's
 * row), but nothing but the status changes once the run commits, and the status and settledAt
 * are the trigger's own: this is the run as of the event.
 */
async function frozenPayout(deps: Pick<DispatchDeps, 'db'>, seq: number, payoutId: number, snapshot: Record<string, unknown>) {
  if (snapshot.summary !== undefined) return snapshot.summary as PayoutData;
  const summary = await summarize(deps, payoutId);
  const data: PayoutData = { ...summary, status: snapshot.status as string, settledAt: snapshot.settled_at as string | null };
  // Two senders building it at once both write the same thing; the first one stays.
  await deps.db
    .updateTable('outbound_events')
    .set({ snapshot: JSON.stringify({ ...snapshot, summary: data }) })
    .where('seq', '=', seq)
    .where(sql<boolean>`json_extract(snapshot, '$.summary') IS NULL`)
    .execute();
  const stored = await deps.db.selectFrom('outbound_events').select('snapshot').where('seq', '=', seq).executeTakeFirstOrThrow();
  return (JSON.parse(stored.snapshot) as { summary: PayoutData }).summary;
}

interface Outgoing {
  url: string;
  init: RequestInit;
}

async function request(deps: DispatchDeps, d: Claimed, event: OutboundEvent, snapshot: unknown): Promise<Outgoing | string> {
  if (d.endpoint_id !== null) {
    const endpoint = await deps.db
      .selectFrom('webhook_endpoints')
      .select(['url', 'secret', 'previous_secret', 'previous_secret_expires_at', 'deleted_at'])
      .where('id', '=', d.endpoint_id)
      .executeTakeFirstOrThrow();
    if (endpoint.deleted_at !== null) return 'endpoint deleted';
    const body = new TextEncoder().encode(JSON.stringify(event));
    const now = deps.clock.now();
    const timestamp = String(Math.floor(now.getTime() / 1000));
    // During a rotation's grace both secrets sign: a receiver holding either one verifies.
    const secrets = [endpoint.secret];
    if (endpoint.previous_secret !== null && endpoint.previous_secret_expires_at! > now.toISOString()) {
      secrets.push(endpoint.previous_secret);
    }
    const signature = secrets
      .map((secret) => signWebhook(event.id, timestamp, body, webhookSecretKey(secret)!, deps.crypto.hmacSha256))
      .join(' ');
    return {
      url: endpoint.url,
      init: {
        method: 'POST',
        body: new TextDecoder().decode(body),
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
  const entry = snapshot as CommissionSnapshot & PostbackTestSnapshot;
  // The program's own URL when the affiliate set one, else its default.
  const postback =
    (await deps.db
      .selectFrom('affiliate_program_postbacks')
      .select('url')
      .where('affiliate_id', '=', d.postback_affiliate_id!)
      .where('program_id', '=', entry.program_id)
      .executeTakeFirst()) ??
    (await deps.db
      .selectFrom('affiliate_postbacks')
      .select('url')
      .where('affiliate_id', '=', d.postback_affiliate_id!)
      .executeTakeFirst());
  if (!postback) return 'postback removed';
  // GET and unsigned until the method and secret per URL are stored (docs/webhooks.md, what is left).
  const send = (values: Record<PostbackMacro, string>) =>
    postbackRequest(
      postback.url,
      values,
      { method: 'GET' },
      String(Math.floor(deps.clock.now().getTime() / 1000)),
      deps.crypto.hmacSha256,
    );
  if (event.type === POSTBACK_TEST_EVENT) return send(postbackTestValues(event, entry));
  const click =
    entry.order_click_id === null
      ? undefined
      : await deps.db
          .selectFrom('clicks')
          .select(['sub1', 'sub2', 'sub3', 'sub4', 'sub5'])
          .where('click_id', '=', entry.order_click_id)
          .executeTakeFirst();
  const subs = click ? [click.sub1, click.sub2, click.sub3, click.sub4, click.sub5] : [];
  return send(postbackValues(event, entry, subs));
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
        claimed_at: null,
        updated_at: now.toISOString(),
      })
      .where('id', '=', d.id)
      .compile(),
    ...(d.endpoint_id === null ? [] : endpointHealth(deps, d.endpoint_id, ok, now)),
  ]);
  if (status === 'failed') deps.log.error('webhook delivery failed for good', { delivery: d.id, error: answer.error });
  return ok;
}

/**
 * The endpoint's run of failed attempts, ended by a success; once it is long enough
 * (autoDisableReason) the endpoint is disabled, and 0023's trigger leaves `endpoint.disabled` in
 * the outbox, all in the attempt's own unit of work.
 */
function endpointHealth(deps: DispatchDeps, endpointId: number, ok: boolean, now: Date) {
  const at = now.toISOString();
  if (ok) {
    return [
      deps.db
        .updateTable('webhook_endpoints')
        .set({ consecutive_failures: 0, failing_since: null })
        .where('id', '=', endpointId)
        .compile(),
    ];
  }
  return [
    deps.db
      .updateTable('webhook_endpoints')
      .set({ consecutive_failures: sql`consecutive_failures + 1`, failing_since: sql`coalesce(failing_since, ${at})` })
      .where('id', '=', endpointId)
      .compile(),
    // The rule is autoDisableReason's, said again in SQL so concurrent attempts read the counter
    // they just moved, not one read before.
    deps.db
      .updateTable('webhook_endpoints')
      .set({
        disabled_at: at,
        disabled_reason: sql`consecutive_failures || ' failed attempts in a row since ' || failing_since`,
      })
      .where('id', '=', endpointId)
      .where('disabled_at', 'is', null)
      .where('deleted_at', 'is', null)
      .where('consecutive_failures', '>=', AUTO_DISABLE_FAILURES)
      .where('failing_since', '<=', new Date(now.getTime() - AUTO_DISABLE_HOURS * 3600_000).toISOString())
      .compile(),
  ];
}
