import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppDeps } from '../../core/deps';
import type { AppEnv } from '../env';
import type { Authorize } from '../middleware/authorize';
import { authErrors, bearer, bodyErrors, errorResponses, json, jsonBody, NoQuery } from '../schemas/common';
import { listOwnPayouts, setPayoutMethod } from '../../use-cases/affiliate-self';
import { guarded } from './guarded';

const PayoutDetails = z.union([
  z.object({ email: z.email().max(320) }).strict(),
  z
    .object({
      iban: z.string().regex(/^[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}$/, 'must be an IBAN without spaces'),
      accountHolder: z.string().trim().min(1).max(200),
    })
    .strict(),
]);

const patchAffiliatesMeRoute = createRoute({
  method: 'patch',
  path: '/v1/affiliates/me',
  tags: ['payouts'],
  summary: 'Set how you are paid: PayPal or Wise by email, or a bank account by IBAN',
  security: bearer,
  request: {
    body: jsonBody(z.object({ payoutMethod: z.enum(['paypal', 'wise', 'bank']), payoutDetails: PayoutDetails }).strict()),
  },
  responses: {
    200: json(z.object({ id: z.string(), payoutMethod: z.string(), payoutDetails: z.record(z.string(), z.string()) }), 'Saved'),
    ...errorResponses(...authErrors, ...bodyErrors),
  },
});

const getAffiliatesMePayoutsRoute = createRoute({
  method: 'get',
  path: '/v1/affiliates/me/payouts',
  tags: ['payouts'],
  summary: 'Your payouts, newest first',
  security: bearer,
  request: { query: NoQuery },
  responses: {
    200: json(
      z.object({
        payouts: z.array(
          z.object({ id: z.string(), status: z.string(), currency: z.string(), amount: z.string(), createdAt: z.string() }),
        ),
      }),
      'Payouts',
    ),
    ...errorResponses(...authErrors, 'validation_failed'),
  },
});

/** An affiliate's own account (/v1/affiliates/me*): how it is paid, its payouts (its postbacks: affiliate-postbacks.ts). */
export function registerAffiliateSelfRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps, authorize: Authorize) {
  app.openapi(guarded(patchAffiliatesMeRoute, authorize('affiliate')), async (c) => {
    const body = c.req.valid('json');
    return c.json(await setPayoutMethod(deps, c.get('principal').affiliateId!, body.payoutMethod, body.payoutDetails), 200);
  });

  app.openapi(guarded(getAffiliatesMePayoutsRoute, authorize('affiliate')), async (c) =>
    c.json({ payouts: await listOwnPayouts(deps, c.get('principal').affiliateId!) }, 200),
  );
}
