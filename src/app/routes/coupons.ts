import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { parseId } from '../../domain/ids';
import type { AppDeps } from '../../core/deps';
import type { AppEnv } from '../env';
import { guarded } from './guarded';
import type { Authorize } from '../middleware/authorize';
import { authErrors, bearer, bodyErrors, errorResponses, json, jsonBody } from '../schemas/common';
import { createCoupon, declareCustomerRef, listCoupons } from '../../use-cases/coupons';
import { createPostbackToken, MAX_SECRET_GRACE_SECONDS, rotateWebhookSecret } from '../../use-cases/merchant-secrets';

const Coupon = z
  .object({ code: z.string(), programId: z.string(), affiliateId: z.string(), createdAt: z.string() })
  .openapi('Coupon');

const postCouponsRoute = createRoute({
  method: 'post',
  path: '/v1/coupons',
  tags: ['attribution'],
  summary: 'Assign a coupon code to an affiliate of the program: orders using it can be attributed to them',
  security: bearer,
  request: {
    body: jsonBody(
      z
        .object({
          programId: z.string().max(40),
          code: z
            .string()
            .trim()
            .min(2)
            .max(64)
            .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only'),
          affiliateId: z.string().max(40),
        })
        .strict(),
    ),
  },
  responses: { 201: json(Coupon, 'The coupon'), ...errorResponses(...authErrors, ...bodyErrors, 'not_found', 'conflict') },
});

const getCouponsRoute = createRoute({
  method: 'get',
  path: '/v1/coupons',
  tags: ['attribution'],
  summary: "Merchants: their programs' coupons; affiliates: the coupons assigned to them",
  security: bearer,
  responses: { 200: json(z.object({ coupons: z.array(Coupon) }), 'Coupons'), ...errorResponses(...authErrors) },
});

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

const postCustomerRefsRoute = createRoute({
  method: 'post',
  path: '/v1/customer-refs',
  tags: ['attribution'],
  summary: "Declare your own customer id at a program's shop: orders by it are flagged as self-referrals",
  security: bearer,
  request: {
    body: jsonBody(z.object({ programId: z.string().max(40), customerId: z.string().trim().min(1).max(128) }).strict()),
  },
  responses: {
    201: json(z.object({ programId: z.string(), customerId: z.string() }), 'Declared'),
    ...errorResponses(...authErrors, ...bodyErrors, 'not_found'),
  },
});

/** Coupons, webhook secret rotation, postback tokens and affiliates' customer references. */
export function registerMerchantToolRoutes(
  app: OpenAPIHono<AppEnv>,
  deps: AppDeps & { onTrackingChange: () => void },
  authorize: Authorize,
) {
  app.openapi(guarded(postCouponsRoute, authorize('merchant')), async (c) => {
    const body = c.req.valid('json');
    const coupon = await createCoupon(deps, c.get('principal'), {
      programId: parseId('program', body.programId),
      code: body.code,
      affiliateId: parseId('affiliate', body.affiliateId),
    });
    return c.json(coupon, 201);
  });

  app.openapi(guarded(getCouponsRoute, authorize('merchant', 'affiliate')), async (c) =>
    c.json({ coupons: await listCoupons(deps, c.get('principal')) }, 200),
  );

  app.openapi(guarded(postWebhookSecretsRotateRoute, authorize('merchant')), async (c) => {
    const body = (c.req.valid('json') as { graceSeconds?: number } | undefined) ?? {};
    const rotated = await rotateWebhookSecret(deps, c.get('principal'), body.graceSeconds ?? 86_400);
    deps.onTrackingChange();
    return c.json(rotated, 201);
  });

  app.openapi(guarded(postPostbackTokensRoute, authorize('merchant')), async (c) =>
    c.json(await createPostbackToken(deps, c.get('principal')), 201),
  );

  app.openapi(guarded(postCustomerRefsRoute, authorize('affiliate')), async (c) => {
    const body = c.req.valid('json');
    return c.json(
      await declareCustomerRef(deps, c.get('principal'), {
        programId: parseId('program', body.programId),
        customerId: body.customerId,
      }),
      201,
    );
  });
}
