import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppDeps } from '../../core/deps';
import { parseId } from '../../domain/ids';
import { EVENT_TYPES } from '../../domain/outbound-events';
import {
  pauseWebhookEndpoint,
  replayFailedWebhooks,
  resumeWebhookEndpoint,
  rotateWebhookSecret,
  sendTestWebhook,
  updateWebhookEndpoint,
} from '../../use-cases/webhook-endpoint-lifecycle';
import { MAX_ROTATION_GRACE_SECONDS } from '../../domain/outbound-events';
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  listWebhookDeliveries,
  listWebhookEndpoints,
  replayWebhookDelivery,
} from '../../use-cases/webhook-endpoints';
import type { AppEnv } from '../env';
import { type Authorize, refuseRetiringKey } from '../middleware/authorize';
import { authErrors, bearer, bodyErrors, errorResponses, json, jsonBody, NoQuery, pathId } from '../schemas/common';
import { guarded } from './guarded';

const WebhookEndpoint = z
  .object({
    id: z.string().openapi({ example: 'whe_1' }),
    url: z.string(),
    events: z.array(z.enum(EVENT_TYPES)),
    description: z.string(),
    createdAt: z.string(),
    pausedAt: z.string().nullable().openapi({ description: 'paused by you: deliveries wait and leave on resume' }),
    disabledAt: z
      .string()
      .nullable()
      .openapi({ description: 'disabled after 10 failed attempts in a row over at least 72 h; resume turns it back on' }),
    disabledReason: z.string().nullable(),
    previousSecretExpiresAt: z
      .string()
      .nullable()
      .openapi({ description: 'after a rotation, until then the previous secret signs too' }),
  })
  .openapi('WebhookEndpoint');

export const WebhookDelivery = z
  .object({
    id: z.string().openapi({ example: 'whd_1' }),
    eventId: z.string().openapi({ description: 'also the webhook-id header, the same on every attempt and replay' }),
    eventType: z.string(),
    status: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.number(),
    lastStatusCode: z.number().nullable(),
    lastError: z.string().nullable(),
    nextAttemptAt: z.string().nullable(),
    createdAt: z.string(),
    attemptLog: z.array(
      z.object({
        attempt: z.number(),
        at: z.string(),
        statusCode: z.number().nullable(),
        error: z.string().nullable(),
        latencyMs: z.number(),
        response: z.string().openapi({ description: 'the first 1 KB of the answer' }),
      }),
    ),
  })
  .openapi('WebhookDelivery');

const Queued = z
  .object({ id: z.string(), eventId: z.string(), status: z.literal('pending'), nextAttemptAt: z.string() })
  .openapi('WebhookDeliveryQueued');

const IdParam = z.object({ id: pathId('id') });

const postWebhookEndpointsRoute = createRoute({
  method: 'post',
  path: '/v1/webhook-endpoints',
  tags: ['webhooks'],
  summary: 'Subscribe a URL to events (docs/webhooks.md); the signing secret is shown once',
  security: bearer,
  request: {
    body: jsonBody(
      z
        .object({
          url: z.string().max(2048),
          events: z.array(z.enum(EVENT_TYPES)).min(1),
          description: z.string().max(500).optional(),
        })
        .strict(),
    ),
  },
  responses: {
    201: json(WebhookEndpoint.extend({ secret: z.string().openapi({ example: 'whsec_…' }) }), 'The endpoint and its secret'),
    ...errorResponses(...authErrors, ...bodyErrors),
  },
});

const getWebhookEndpointsRoute = createRoute({
  method: 'get',
  path: '/v1/webhook-endpoints',
  tags: ['webhooks'],
  summary: 'Your webhook endpoints',
  security: bearer,
  request: { query: NoQuery },
  responses: {
    200: json(z.object({ endpoints: z.array(WebhookEndpoint) }), 'Endpoints'),
    ...errorResponses(...authErrors, 'validation_failed'),
  },
});

const deleteWebhookEndpointRoute = createRoute({
  method: 'delete',
  path: '/v1/webhook-endpoints/{id}',
  tags: ['webhooks'],
  summary: 'Remove an endpoint; deliveries not yet made to it are dropped',
  security: bearer,
  request: { params: IdParam },
  responses: { 204: { description: 'Removed' }, ...errorResponses(...authErrors, 'not_found') },
});

const getWebhookDeliveriesRoute = createRoute({
  method: 'get',
  path: '/v1/webhook-endpoints/{id}/deliveries',
  tags: ['webhooks'],
  summary: "An endpoint's last 100 deliveries, newest first, with every attempt",
  security: bearer,
  request: { params: IdParam, query: NoQuery },
  responses: {
    200: json(z.object({ deliveries: z.array(WebhookDelivery) }), 'Deliveries'),
    ...errorResponses(...authErrors, 'not_found', 'validation_failed'),
  },
});

const postWebhookDeliveryReplayRoute = createRoute({
  method: 'post',
  path: '/v1/webhook-deliveries/{id}/replay',
  tags: ['webhooks'],
  summary: 'Send a delivery again at the next dispatch, with the same webhook-id',
  security: bearer,
  request: { params: IdParam },
  responses: {
    202: json(Queued, 'Queued'),
    ...errorResponses(...authErrors, 'not_found'),
  },
});

const patchWebhookEndpointRoute = createRoute({
  method: 'patch',
  path: '/v1/webhook-endpoints/{id}',
  tags: ['webhooks'],
  summary: "Change an endpoint's url, events or description; the events apply from the next event on",
  security: bearer,
  request: {
    params: IdParam,
    body: jsonBody(
      z
        .object({
          url: z.string().max(2048).optional(),
          events: z.array(z.enum(EVENT_TYPES)).min(1).optional(),
          description: z.string().max(500).optional(),
        })
        .strict()
        .refine((b) => Object.keys(b).length > 0, { message: 'give at least one of url, events, description' }),
    ),
  },
  responses: { 200: json(WebhookEndpoint, 'The endpoint'), ...errorResponses(...authErrors, ...bodyErrors, 'not_found') },
});

const endpointActionRoute = (action: 'pause' | 'resume', summary: string) =>
  createRoute({
    method: 'post',
    path: `/v1/webhook-endpoints/{id}/${action}`,
    tags: ['webhooks'],
    summary,
    security: bearer,
    request: { params: IdParam },
    responses: { 200: json(WebhookEndpoint, 'The endpoint'), ...errorResponses(...authErrors, 'not_found') },
  });
const pauseWebhookEndpointRoute = endpointActionRoute(
  'pause',
  'Pause an endpoint: deliveries are still made for its events and wait; they leave on resume',
);
const resumeWebhookEndpointRoute = endpointActionRoute(
  'resume',
  'Resume a paused or disabled endpoint; the deliveries that waited leave at the next dispatch',
);

const rotateWebhookSecretRoute = createRoute({
  method: 'post',
  path: '/v1/webhook-endpoints/{id}/rotate-secret',
  tags: ['webhooks'],
  summary: 'A new signing secret, shown once; the previous one signs too during graceSeconds',
  security: bearer,
  request: {
    params: IdParam,
    body: jsonBody(
      z
        .object({
          graceSeconds: z
            .number()
            .int()
            .min(0)
            .max(MAX_ROTATION_GRACE_SECONDS)
            .default(86_400)
            .openapi({ description: 'how long the previous secret keeps signing (default 1 day, at most 7)' }),
        })
        .strict(),
    ),
  },
  responses: {
    200: json(WebhookEndpoint.extend({ secret: z.string().openapi({ example: 'whsec_…' }) }), 'The endpoint and its new secret'),
    ...errorResponses(...authErrors, ...bodyErrors, 'not_found', 'conflict'),
  },
});

const postWebhookTestRoute = createRoute({
  method: 'post',
  path: '/v1/webhook-endpoints/{id}/test',
  tags: ['webhooks'],
  summary: 'Send a webhook.test event to this endpoint at the next dispatch, signed, retried and logged like any other',
  security: bearer,
  request: { params: IdParam },
  responses: { 202: json(Queued, 'Queued'), ...errorResponses(...authErrors, 'not_found') },
});

const postWebhookBulkReplayRoute = createRoute({
  method: 'post',
  path: '/v1/webhook-endpoints/{id}/replay',
  tags: ['webhooks'],
  summary: 'Send again every failed delivery made to this endpoint in [from, to)',
  security: bearer,
  request: {
    params: IdParam,
    body: jsonBody(
      z
        .object({
          from: z.string().max(40).openapi({ example: '2026-12-01T00:00:00Z' }),
          to: z.string().max(40).optional().openapi({ description: 'default: now' }),
          status: z.literal('failed').default('failed'),
        })
        .strict(),
    ),
  },
  responses: {
    202: json(z.object({ replayed: z.number(), from: z.string(), to: z.string() }), 'Queued'),
    ...errorResponses(...authErrors, ...bodyErrors, 'not_found'),
  },
});

/** Outbound webhooks (/v1/webhook-endpoints, /v1/webhook-deliveries): merchants' and operators' endpoints. */
export function registerWebhookEndpointRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps, authorize: Authorize) {
  const owners = authorize('merchant', 'admin', 'finance');
  app.openapi(guarded(postWebhookEndpointsRoute, owners, refuseRetiringKey), async (c) =>
    c.json(await createWebhookEndpoint(deps, c.get('principal'), c.req.valid('json')), 201),
  );
  app.openapi(guarded(getWebhookEndpointsRoute, owners), async (c) =>
    c.json(await listWebhookEndpoints(deps, c.get('principal')), 200),
  );
  app.openapi(guarded(deleteWebhookEndpointRoute, owners, refuseRetiringKey), async (c) => {
    await deleteWebhookEndpoint(deps, c.get('principal'), parseId('webhookEndpoint', c.req.valid('param').id));
    return c.body(null, 204);
  });
  app.openapi(guarded(getWebhookDeliveriesRoute, owners), async (c) =>
    c.json(await listWebhookDeliveries(deps, c.get('principal'), parseId('webhookEndpoint', c.req.valid('param').id)), 200),
  );
  app.openapi(guarded(postWebhookDeliveryReplayRoute, owners, refuseRetiringKey), async (c) =>
    c.json(await replayWebhookDelivery(deps, c.get('principal'), parseId('webhookDelivery', c.req.valid('param').id)), 202),
  );
  const endpointId = (id: string) => parseId('webhookEndpoint', id);
  app.openapi(guarded(patchWebhookEndpointRoute, owners, refuseRetiringKey), async (c) =>
    c.json(await updateWebhookEndpoint(deps, c.get('principal'), endpointId(c.req.valid('param').id), c.req.valid('json')), 200),
  );
  app.openapi(guarded(pauseWebhookEndpointRoute, owners, refuseRetiringKey), async (c) =>
    c.json(await pauseWebhookEndpoint(deps, c.get('principal'), endpointId(c.req.valid('param').id)), 200),
  );
  app.openapi(guarded(resumeWebhookEndpointRoute, owners, refuseRetiringKey), async (c) =>
    c.json(await resumeWebhookEndpoint(deps, c.get('principal'), endpointId(c.req.valid('param').id)), 200),
  );
  app.openapi(guarded(rotateWebhookSecretRoute, owners, refuseRetiringKey), async (c) =>
    c.json(
      await rotateWebhookSecret(deps, c.get('principal'), endpointId(c.req.valid('param').id), c.req.valid('json').graceSeconds),
      200,
    ),
  );
  app.openapi(guarded(postWebhookTestRoute, owners, refuseRetiringKey), async (c) =>
    c.json(await sendTestWebhook(deps, c.get('principal'), endpointId(c.req.valid('param').id)), 202),
  );
  app.openapi(guarded(postWebhookBulkReplayRoute, owners, refuseRetiringKey), async (c) =>
    c.json(await replayFailedWebhooks(deps, c.get('principal'), endpointId(c.req.valid('param').id), c.req.valid('json')), 202),
  );
}
