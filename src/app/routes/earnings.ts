import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppDeps } from '../../core/deps';
import type { AppEnv } from '../env';
import type { Authorize } from '../middleware/authorize';
import { authErrors, bearer, errorResponses, json, NoQuery } from '../schemas/common';
import { affiliateBalances } from '../../use-cases/earnings';
import { guarded } from './guarded';

const getEarningsRoute = createRoute({
  method: 'get',
  path: '/v1/earnings',
  tags: ['commissions'],
  summary:
    'Your commission by currency: estimated (pending), held, settled (approved, not yet in a payout: carried over), inPayout (in a run not yet paid) and paid',
  security: bearer,
  request: { query: NoQuery },
  responses: {
    200: json(
      z.object({
        balances: z.array(
          z.object({
            currency: z.string(),
            estimated: z.string(),
            held: z.string(),
            settled: z.string(),
            inPayout: z.string(),
            paid: z.string(),
          }),
        ),
      }),
      'Balances',
    ),
    ...errorResponses(...authErrors, 'validation_failed'),
  },
});

/** What an affiliate has earned, by currency and stage. */
export function registerEarningsRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps, authorize: Authorize) {
  app.openapi(guarded(getEarningsRoute, authorize('affiliate')), async (c) =>
    c.json({ balances: await affiliateBalances(deps, c.get('principal').affiliateId!) }, 200),
  );
}
