import type { AppDeps } from '../core/deps';
import { AppError, notFound } from '../core/errors';
import type { Principal } from '../core/principal';
import { encodeBase64 } from '../domain/base64url';
import { formatId } from '../domain/ids';
import {
  type EventType,
  eventId,
  MERCHANT_EVENT_TYPES,
  OPERATOR_EVENT_TYPES,
  receiverUrlProblem,
} from '../domain/outbound-events';
import type { WebhookEndpointTable } from '../store/database';
import { jsonList } from '../store/json-list';
import type { Selectable } from 'kysely';

export type Deps = Pick<AppDeps, 'db' | 'clock' | 'config'>;

/** Merchants own their endpoints; admin and finance keys share the operators' (merchant_id NULL). */
function owner(principal: Principal): number | null {
  return principal.role === 'merchant' ? principal.merchantId! : null;
}

export function endpointView(row: Selectable<WebhookEndpointTable>) {
  return {
    id: formatId('webhookEndpoint', row.id),
    url: row.url,
    events: JSON.parse(row.events) as EventType[],
    description: row.description,
    createdAt: row.created_at,
    pausedAt: row.paused_at,
    disabledAt: row.disabled_at,
    disabledReason: row.disabled_reason,
    /** Until then the rotated-out secret signs too; null when no rotation is in its grace. */
    previousSecretExpiresAt: row.previous_secret_expires_at,
  };
}

export function checkUrl(deps: Deps, url: string) {
  const problem = receiverUrlProblem(url, deps.config.webhookAllowPrivate ?? false);
  if (problem) throw new AppError('validation_failed', problem);
}

export function checkEvents(principal: Principal, events: readonly EventType[]) {
  const allowed = principal.role === 'merchant' ? MERCHANT_EVENT_TYPES : OPERATOR_EVENT_TYPES;
  const refused = events.filter((e) => !allowed.includes(e));
  if (refused.length > 0)
    throw new AppError('validation_failed', `events: ${refused.join(', ')} not available to a ${principal.role} key`);
}

export function newSecret(deps: Pick<AppDeps, 'crypto'>) {
  return `whsec_${encodeBase64(deps.crypto.randomBytes(24))}`;
}

export async function createWebhookEndpoint(
  deps: Deps & Pick<AppDeps, 'crypto'>,
  principal: Principal,
  input: { url: string; events: EventType[]; description?: string | undefined },
) {
  checkUrl(deps, input.url);
  checkEvents(principal, input.events);
  const secret = newSecret(deps);
  const row = await deps.db
    .insertInto('webhook_endpoints')
    .values({
      merchant_id: owner(principal),
      url: input.url,
      events: JSON.stringify([...new Set(input.events)]),
      description: input.description ?? '',
      secret,
      created_at: deps.clock.now().toISOString(),
      deleted_at: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { ...endpointView(row), secret };
}

export async function ownEndpoint(deps: Pick<AppDeps, 'db'>, principal: Principal, id: number | undefined) {
  const row =
    id === undefined
      ? undefined
      : await deps.db
          .selectFrom('webhook_endpoints')
          .selectAll()
          .where('id', '=', id)
          .where('deleted_at', 'is', null)
          .where((eb) => (owner(principal) === null ? eb('merchant_id', 'is', null) : eb('merchant_id', '=', owner(principal))))
          .executeTakeFirst();
  if (!row) throw notFound('webhook endpoint');
  return row;
}

export async function listWebhookEndpoints(deps: Pick<AppDeps, 'db'>, principal: Principal) {
  const merchantId = owner(principal);
  const rows = await deps.db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('deleted_at', 'is', null)
    .where((eb) => (merchantId === null ? eb('merchant_id', 'is', null) : eb('merchant_id', '=', merchantId)))
    .orderBy('id')
    .execute();
  return { endpoints: rows.map(endpointView) };
}

/** Deleting stops every delivery not yet made: they fail with the endpoint, in one unit of work. */
export async function deleteWebhookEndpoint(deps: Deps & Pick<AppDeps, 'writes'>, principal: Principal, id: number | undefined) {
  const row = await ownEndpoint(deps, principal, id);
  const now = deps.clock.now().toISOString();
  await deps.writes.commit([
    deps.db.updateTable('webhook_endpoints').set({ deleted_at: now }).where('id', '=', row.id).compile(),
    deps.db
      .updateTable('webhook_deliveries')
      .set({ status: 'failed', last_error: 'endpoint deleted', next_attempt_at: null, updated_at: now })
      .where('endpoint_id', '=', row.id)
      .where('status', '=', 'pending')
      .compile(),
  ]);
}

/** An endpoint's deliveries, newest first, each with its attempts. */
export async function listWebhookDeliveries(deps: Pick<AppDeps, 'db'>, principal: Principal, id: number | undefined) {
  const endpoint = await ownEndpoint(deps, principal, id);
  return { deliveries: await deliveryLog(deps, { endpointId: endpoint.id }) };
}

/** The last 100 deliveries to one endpoint or one affiliate's postbacks, newest first, with every attempt. */
export async function deliveryLog(deps: Pick<AppDeps, 'db'>, to: { endpointId: number } | { affiliateId: number }) {
  const deliveries = await deps.db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('outbound_events as e', 'e.seq', 'd.event_seq')
    .select([
      'd.id',
      'd.event_seq',
      'e.type',
      'd.status',
      'd.attempts',
      'd.last_status_code',
      'd.last_error',
      'd.next_attempt_at',
      'd.created_at',
    ])
    .where((eb) =>
      'endpointId' in to ? eb('d.endpoint_id', '=', to.endpointId) : eb('d.postback_affiliate_id', '=', to.affiliateId),
    )
    .orderBy('d.id', 'desc')
    .limit(100)
    .execute();
  const attempts =
    deliveries.length === 0
      ? []
      : await deps.db
          .selectFrom('webhook_attempts')
          .selectAll()
          .where('delivery_id', 'in', jsonList(deliveries.map((d) => d.id)))
          .orderBy('delivery_id')
          .orderBy('attempt')
          .execute();
  return deliveries.map((d) => ({
    id: formatId('webhookDelivery', d.id),
    eventId: eventId(d.event_seq),
    eventType: d.type,
    status: d.status,
    attempts: d.attempts,
    lastStatusCode: d.last_status_code,
    lastError: d.last_error,
    nextAttemptAt: d.status === 'pending' ? d.next_attempt_at : null,
    createdAt: d.created_at,
    attemptLog: attempts
      .filter((a) => a.delivery_id === d.id)
      .map((a) => ({
        attempt: a.attempt,
        at: a.attempted_at,
        statusCode: a.status_code,
        error: a.error,
        latencyMs: a.latency_ms,
        response: a.response,
      })),
  }));
}

/** Sends a delivery again at the next dispatch, with the same event id (webhook-id) and a fresh retry schedule. */
export async function replayWebhookDelivery(deps: Deps, principal: Principal, id: number | undefined) {
  const delivery =
    id === undefined
      ? undefined
      : await deps.db
          .selectFrom('webhook_deliveries')
          .select(['id', 'endpoint_id', 'event_seq'])
          .where('id', '=', id)
          .executeTakeFirst();
  if (!delivery || delivery.endpoint_id === null) throw notFound('webhook delivery');
  await ownEndpoint(deps, principal, delivery.endpoint_id);
  const now = deps.clock.now().toISOString();
  await deps.db
    .updateTable('webhook_deliveries')
    .set({ status: 'pending', failures: 0, next_attempt_at: now, updated_at: now })
    .where('id', '=', delivery.id)
    .execute();
  return {
    id: formatId('webhookDelivery', delivery.id),
    eventId: eventId(delivery.event_seq),
    status: 'pending' as const,
    nextAttemptAt: now,
  };
}
