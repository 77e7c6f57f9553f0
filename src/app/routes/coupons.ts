import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { parseId } from '../../domain/ids';
import type { AppDeps } from '../../core/deps';
import type { AppEnv } from '../env';
import { guarded } from './guarded';
import type { Authorize } from '../middleware/authorize';
import { authErrors, bearer, bodyErrors, errorResponses, json, jsonBody, NoQuery } from '../schemas/common';
import { createCoupon, listCoupons } from '../../use-cases/coupons';

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
  request: { query: NoQuery },
  responses: {
    200: json(z.object({ coupons: z.array(Coupon) }), 'Coupons'),
    ...errorResponses(...authErrors, 'validation_failed'),
  },
});

/** Coupon codes that attribute orders to an affiliate. */
export function registerCouponRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps, authorize: Authorize) {
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
}
