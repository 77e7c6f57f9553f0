import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { parseId } from '../../domain/ids';
import type { AppDeps } from '../../core/deps';
import type { AppEnv } from '../env';
import type { Authorize } from '../middleware/authorize';
import { authErrors, bearer, bodyErrors, errorResponses, json, jsonBody } from '../schemas/common';
import { declareCustomerRef } from '../../use-cases/coupons';
import { guarded } from './guarded';

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

/** An affiliate's own customer ids at a program's shop, so its own orders are caught as self-referrals. */
export function registerCustomerRefRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps, authorize: Authorize) {
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
