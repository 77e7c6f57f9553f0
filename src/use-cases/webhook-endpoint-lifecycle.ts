import type { AppDeps } from '../core/deps';
import { AppError } from '../core/errors';
import type { Principal } from '../core/principal';
import { formatId } from '../domain/ids';
import { type EventType, eventId, MAX_ROTATION_GRACE_SECONDS, TEST_EVENT } from '../domain/outbound-events';
import { checkEvents, checkUrl, type Deps, endpointView, newSecret, ownEndpoint } from './webhook-endpoints';

/**
 * What happens to an endpoint after it is made (docs/webhooks.md): edits, pause and resume,
 * secret rotation, a test send and the replay of every failed delivery in a time range.
 */

export async function updateWebhookEndpoint(
  deps: Deps,
  principal: Principal,
  id: number | undefined,
  input: { url?: string | undefined; events?: EventType[] | undefined; description?: string | undefined },
) {
  const row = await ownEndpoint(deps, principal, id);
  if (input.url !== undefined) checkUrl(deps, input.url);
  if (input.events !== undefined) checkEvents(principal, input.events);
  // Events already fanned out keep their deliveries; the new list applies from the next event on.
  const updated = await deps.db
    .updateTable('webhook_endpoints')
    .set({
      ...(input.url === undefined ? {} : { url: input.url }),
      ...(input.events === undefined ? {} : { events: JSON.stringify([...new Set(input.events)]) }),
      ...(input.description === undefined ? {} : { description: input.description }),
    })
    .where('id', '=', row.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return endpointView(updated);
}

/**
 * A paused endpoint still gets a delivery for every event it subscribes to; they wait, in order
 * of their due time, and leave at the first dispatch after resume. Nothing is skipped.
 */
export async function pauseWebhookEndpoint(deps: Deps, principal: Principal, id: number | undefined) {
  const row = await ownEndpoint(deps, principal, id);
  const updated = await deps.db
    .updateTable('webhook_endpoints')
    .set({ paused_at: row.paused_at ?? deps.clock.now().toISOString() })
    .where('id', '=', row.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return endpointView(updated);
}

/** Resume also turns back on an endpoint the dispatcher disabled, with its failure run forgotten. */
export async function resumeWebhookEndpoint(deps: Deps, principal: Principal, id: number | undefined) {
  const row = await ownEndpoint(deps, principal, id);
  const updated = await deps.db
    .updateTable('webhook_endpoints')
    .set({ paused_at: null, disabled_at: null, disabled_reason: null, consecutive_failures: 0, failing_since: null })
    .where('id', '=', row.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return endpointView(updated);
}

/**
 * A new secret, shown once. The one it replaces keeps signing next to it for `graceSeconds`
 * (a second `v1,` signature in the same header); a rotation during a grace drops the oldest.
 */
export async function rotateWebhookSecret(
  deps: Deps & Pick<AppDeps, 'crypto'>,
  principal: Principal,
  id: number | undefined,
  graceSeconds: number,
) {
  const row = await ownEndpoint(deps, principal, id);
  if (!Number.isInteger(graceSeconds) || graceSeconds < 0 || graceSeconds > MAX_ROTATION_GRACE_SECONDS) {
    throw new AppError('validation_failed', `graceSeconds: a whole number from 0 to ${MAX_ROTATION_GRACE_SECONDS}`);
  }
  const secret = newSecret(deps);
  const now = deps.clock.now();
  const updated = await deps.db
    .updateTable('webhook_endpoints')
    .set({
      secret,
      previous_secret: graceSeconds === 0 ? null : row.secret,
      previous_secret_expires_at: graceSeconds === 0 ? null : new Date(now.getTime() + graceSeconds * 1000).toISOString(),
    })
    .where('id', '=', row.id)
    .where('secret', '=', row.secret)
    .returningAll()
    .executeTakeFirst();
  if (!updated) throw new AppError('conflict', 'the secret was rotated at the same time; rotate again');
  return { ...endpointView(updated), secret };
}

/**
 * A `webhook.test` event for this endpoint alone: an outbox row and its one delivery in one unit
 * of work, sent by the dispatcher like any other (signed, retried, in the log).
 */
export async function sendTestWebhook(deps: Deps & Pick<AppDeps, 'writes'>, principal: Principal, id: number | undefined) {
  const row = await ownEndpoint(deps, principal, id);
  const now = deps.clock.now().toISOString();
  const [, delivery] = await deps.writes.commit([
    deps.db
      .insertInto('outbound_events')
      .values({
        type: TEST_EVENT,
        merchant_id: row.merchant_id,
        affiliate_id: null,
        resource_id: row.id,
        snapshot: '{}',
        created_at: now,
      })
      .compile(),
    deps.db
      .insertInto('webhook_deliveries')
      .values((eb) => ({
        event_seq: eb.selectFrom('outbound_events').select((e) => e.fn.max('seq').as('seq')),
        endpoint_id: row.id,
        postback_affiliate_id: null,
        status: 'pending',
        next_attempt_at: now,
        created_at: now,
        updated_at: now,
      }))
      .returning(['id', 'event_seq'])
      .compile(),
  ]);
  const made = delivery!.rows[0] as { id: number; event_seq: number };
  return {
    id: formatId('webhookDelivery', made.id),
    eventId: eventId(made.event_seq),
    status: 'pending' as const,
    nextAttemptAt: now,
  };
}

/**
 * Every failed delivery to the endpoint made in [from, to) goes again at the next dispatch, each
 * with its own webhook-id and a fresh retry schedule. Only `failed` ones: a pending delivery is
 * already on its way, a delivered one is replayed one at a time.
 */
export async function replayFailedWebhooks(
  deps: Deps,
  principal: Principal,
  id: number | undefined,
  input: { from: string; to?: string | undefined },
) {
  const row = await ownEndpoint(deps, principal, id);
  const from = instant(input.from, 'from');
  const to = input.to === undefined ? deps.clock.now().toISOString() : instant(input.to, 'to');
  if (from >= to) throw new AppError('validation_failed', 'from: must be before to');
  const now = deps.clock.now().toISOString();
  const replayed = await deps.db
    .updateTable('webhook_deliveries')
    .set({ status: 'pending', failures: 0, next_attempt_at: now, updated_at: now })
    .where('endpoint_id', '=', row.id)
    .where('status', '=', 'failed')
    .where('created_at', '>=', from)
    .where('created_at', '<', to)
    .executeTakeFirst();
  return { replayed: Number(replayed.numUpdatedRows), from, to };
}

function instant(text: string, field: string): string {
  const at = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(at)) {
    throw new AppError('validation_failed', `${field}: an ISO 8601 date-time, e.g. 2026-12-01T00:00:00Z`);
  }
  return new Date(at).toISOString();
}
