import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppDeps } from '../../core/deps';
import type { AppEnv } from '../env';
import { type Authorize, refuseRetiringKey } from '../middleware/authorize';
import { authErrors, bearer, bodyErrors, errorResponses, json, NoQuery, pathId } from '../schemas/common';
import {
  createPostbackToken,
  listPostbackTokens,
  MAX_SECRET_GRACE_SECONDS,
  revokePostbackToken,
  rotatePostbackToken,
  rotateWebhookSecret,
} from '../../use-cases/merchant-secrets';
import { guarded } from './guarded';

/** How long the secret or token being replaced keeps working: one day unless told, at most 7. */
const graceBody = {
  required: false,
  content: {
    'application/json': {
      schema: z.object({ graceSeconds: z.number().int().min(0).max(MAX_SECRET_GRACE_SECONDS).default(86_400) }).strict(),
    },
  },
};

const postWebhookSecretsRotateRoute = createRoute({
  method: 'post',
  path: '/v1/webhook-secrets/rotate',
  tags: ['orders'],
  summary: 'Issue a new webhook secret; the previous ones keep verifying for graceSeconds (default one day)',
  security: bearer,
  request: {
    body: graceBody,
  },
  responses: {
    201: json(z.object({ webhookSecret: z.string(), previousSecretsExpireAt: z.string() }), 'The new secret, shown once'),
    ...errorResponses(...authErrors, ...bodyErrors),
  },
});

const postPostbackTokensRoute = createRoute({
  method: 'post',
  path: '/v1/postback-tokens',
  tags: ['orders'],
  summary: 'A token for GET/POST /postback, shown once',
  security: bearer,
  responses: {
    201: json(z.object({ id: z.string(), token: z.string() }), 'The token, shown once'),
    ...errorResponses(...authErrors),
  },
});

const PostbackTokenView = z
  .object({
    id: z.string().openapi({ example: 'ptk_3' }),
    prefix: z.string().openapi({ description: "the token's first 12 characters", example: 'pbt_Xy3kQ9aB' }),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable().openapi({ description: 'the last postback with it, to the minute' }),
    revokedAt: z.string().nullable().openapi({ description: 'in the future while a rotated token is in its grace' }),
  })
  .openapi('PostbackToken');
const TokenParam = z.object({ id: pathId('id') });

const getPostbackTokensRoute = createRoute({
  method: 'get',
  path: '/v1/postback-tokens',
  tags: ['orders'],
  summary: "The merchant's postback tokens, newest first; never the tokens themselves",
  security: bearer,
  request: { query: NoQuery },
  responses: {
    200: json(z.object({ tokens: z.array(PostbackTokenView) }), 'Tokens'),
    ...errorResponses(...authErrors, 'validation_failed'),
  },
});

const postPostbackTokenRevokeRoute = createRoute({
  method: 'post',
  path: '/v1/postback-tokens/{id}/revoke',
  tags: ['orders'],
  summary: 'Revoke a postback token at once',
  security: bearer,
  request: { params: TokenParam },
  responses: {
    200: json(z.object({ id: z.string(), revokedAt: z.string() }), 'Revoked'),
    ...errorResponses(...authErrors, 'not_found'),
  },
});

const postPostbackTokenRotateRoute = createRoute({
  method: 'post',
  path: '/v1/postback-tokens/{id}/rotate',
  tags: ['orders'],
  summary: 'Issue a new postback token; the old one keeps working for graceSeconds (default one day)',
  security: bearer,
  request: {
    params: TokenParam,
    body: graceBody,
  },
  responses: {
    201: json(z.object({ id: z.string(), token: z.string(), oldTokenRevokedAt: z.string() }), 'The new token, shown once'),
    ...errorResponses(...authErrors, ...bodyErrors, 'not_found', 'conflict'),
  },
});

/**
 * A merchant's order-intake secrets: the webhook signing secret's rotation and postback tokens.
 * Reading the list is open to a retiring key; making, rotating or revoking is not.
 */
export function registerMerchantSecretRoutes(
  app: OpenAPIHono<AppEnv>,
  deps: AppDeps & { onTrackingChange: () => void },
  authorize: Authorize,
) {
  app.openapi(guarded(postWebhookSecretsRotateRoute, authorize('merchant'), refuseRetiringKey), async (c) => {
    const body = (c.req.valid('json') as { graceSeconds?: number } | undefined) ?? {};
    const rotated = await rotateWebhookSecret(deps, c.get('principal'), body.graceSeconds ?? 86_400);
    deps.onTrackingChange();
    return c.json(rotated, 201);
  });

  app.openapi(guarded(postPostbackTokensRoute, authorize('merchant'), refuseRetiringKey), async (c) =>
    c.json(await createPostbackToken(deps, c.get('principal')), 201),
  );

  app.openapi(guarded(getPostbackTokensRoute, authorize('merchant')), async (c) =>
    c.json({ tokens: await listPostbackTokens(deps, c.get('principal')) }, 200),
  );

  app.openapi(guarded(postPostbackTokenRevokeRoute, authorize('merchant'), refuseRetiringKey), async (c) =>
    c.json(await revokePostbackToken(deps, c.get('principal'), c.req.valid('param').id), 200),
  );

  app.openapi(guarded(postPostbackTokenRotateRoute, authorize('merchant'), refuseRetiringKey), async (c) => {
    const body = (c.req.valid('json') as { graceSeconds?: number } | undefined) ?? {};
    const rotated = await rotatePostbackToken(deps, c.get('principal'), c.req.valid('param').id, body.graceSeconds ?? 86_400);
    return c.json(rotated, 201);
  });
}
