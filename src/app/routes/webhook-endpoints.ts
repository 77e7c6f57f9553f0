import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppDeps } from '../../core/deps';
import { parseId } from '../../domain/ids';
import { EVENT_TYPES } from '../../domain/outbound-events';
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
  })
  .openapi('WebhookEndpoint');

const WebhookDelivery = z
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
    202: json(
      z.object({ id: z.string(), eventId: z.string(), status: z.literal('pending'), nextAttemptAt: z.string() }),
      'Queued',
    ),
    ...errorResponses(...authErrors, 'not_found'),
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
}
