import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppDeps } from '../../core/deps';
import type { AppEnv } from '../env';
import { type Authorize, refuseRetiringKey } from '../middleware/authorize';
import { authErrors, bearer, bodyErrors, errorResponses, json } from '../schemas/common';
import { createPostbackToken, MAX_SECRET_GRACE_SECONDS, rotateWebhookSecret } from '../../use-cases/merchant-secrets';
import { guarded } from './guarded';

const postWebhookSecretsRotateRoute = createRoute({
  method: 'post',
  path: '/v1/webhook-secrets/rotate',
  tags: ['orders'],
  summary: 'Issue a new webhook secret; the previous ones keep verifying for graceSeconds (default one day)',
  security: bearer,
  request: {
    body: {
      required: false,
      content: {
        'application/json': {
          schema: z.object({ graceSeconds: z.number().int().min(0).max(MAX_SECRET_GRACE_SECONDS).default(86_400) }).strict(),
        },
      },
    },
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
  responses: { 201: json(z.object({ token: z.string() }), 'The token'), ...errorResponses(...authErrors) },
});

/** A merchant's order-intake secrets: the webhook signing secret's rotation and postback tokens. */
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
}
