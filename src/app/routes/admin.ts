import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { parseId } from '../../domain/ids';
import { percentToBasisPoints } from '../../domain/rate';
import type { AppDeps } from '../../core/deps';
import type { AppEnv } from '../env';
import { guarded } from './guarded';
import type { Authorize } from '../middleware/authorize';
import { authErrors, bearer, bodyErrors, errorResponses, json, jsonBody } from '../schemas/common';
import { PlanSchema } from '../schemas/plan';
import { setAffiliateRate } from '../../use-cases/affiliate-rates';
import { runBatchOnDemand } from '../../use-cases/batch-on-demand';
import { affiliateBalances } from '../../use-cases/earnings';
import { reviewHeldOrder } from '../../use-cases/order-review';
import { simulatePlan } from '../../use-cases/simulate-plan';

const BatchReport = z
  .object({
    asOf: z.string(),
    ordersExamined: z.number(),
    ordersChanged: z.number(),
    entriesAppended: z.number(),
    statusChanges: z.number(),
    skippedOtherCurrency: z.number(),
    watermark: z.string(),
    durationMs: z.number(),
    export: z
      .object({
        clicks: z.number(),
        orders: z.number(),
        ledgerEntries: z.number(),
        blocks: z.number(),
        durationMs: z.number(),
        mismatches: z
          .number()
          .openapi({ description: 'ledger totals that differ between the SQL store and ClickHouse after the export' }),
      })
      .nullable()
      .openapi({ description: 'What was copied to ClickHouse (null where no ClickHouse is configured)' }),
  })
  .openapi('BatchReport');

const OrderParam = z.object({
  id: z
    .string()
    .max(128)
    .openapi({ param: { name: 'id', in: 'path' }, description: "the shop's order id" }),
});

const Percent = z.string().refine((v) => percentToBasisPoints(v) !== undefined, {
  message: 'must be a percent from "0" to "100" with at most two decimals',
});

const putProgramsAffiliatesRateRoute = createRoute({
  method: 'put',
  path: '/v1/programs/{id}/affiliates/{affiliateId}/rate',
  tags: ['commissions'],
  summary: "A custom rate for one affiliate, replacing the plan's default and tiers for orders placed from now on (null ends it)",
  security: bearer,
  request: {
    params: z.object({
      id: z
        .string()
        .max(40)
        .openapi({ param: { name: 'id', in: 'path' } }),
      affiliateId: z
        .string()
        .max(40)
        .openapi({ param: { name: 'affiliateId', in: 'path' } }),
    }),
    body: jsonBody(z.object({ percent: Percent.nullable() }).strict()),
  },
  responses: {
    200: json(
      z.object({ programId: z.string(), affiliateId: z.string(), percent: z.string().nullable(), effectiveFrom: z.string() }),
      'The rate',
    ),
    ...errorResponses(...authErrors, ...bodyErrors, 'not_found'),
  },
});

const postProgramsPlanSimulateRoute = createRoute({
  method: 'post',
  path: '/v1/programs/{id}/plan/simulate',
  tags: ['commissions'],
  summary: "What-if: the period's orders under a proposed plan, per affiliate, next to the plans in force; writes nothing",
  security: bearer,
  request: {
    params: z.object({
      id: z
        .string()
        .max(40)
        .openapi({ param: { name: 'id', in: 'path' } }),
    }),
    body: jsonBody(z.object({ plan: PlanSchema, from: z.iso.date(), to: z.iso.date() }).strict()),
  },
  responses: {
    200: json(z.record(z.string(), z.unknown()).openapi('PlanSimulation'), 'Totals per affiliate: current, proposed, difference'),
    ...errorResponses(...authErrors, ...bodyErrors, 'not_found'),
  },
});

const getEarningsRoute = createRoute({
  method: 'get',
  path: '/v1/earnings',
  tags: ['commissions'],
  summary:
    'Your commission by currency: estimated (pending), held, settled (approved, not yet in a payout: carried over), inPayout (in a run not yet paid) and paid',
  security: bearer,
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
    ...errorResponses(...authErrors),
  },
});

const postAdminBatchRoute = createRoute({
  method: 'post',
  path: '/v1/admin/batch',
  tags: ['commissions'],
  summary: 'Run the commission batch now (it also runs every minute); asOf defaults to now and may not be in the future',
  security: bearer,
  request: {
    body: {
      required: false,
      content: { 'application/json': { schema: z.object({ asOf: z.iso.datetime({ offset: true }).optional() }).strict() } },
    },
  },
  responses: { 200: json(BatchReport, 'What the run did'), ...errorResponses(...authErrors, ...bodyErrors, 'conflict') },
});

const reviewOrderRoute = (decision: 'release' | 'reject') =>
  createRoute({
    method: 'post',
    path: `/v1/orders/{id}/${decision}`,
    tags: ['commissions'],
    summary:
      decision === 'release'
        ? 'Release a held order: its commission follows the normal lifecycle'
        : 'Reject a held order: its commission is reversed',
    security: bearer,
    request: { params: OrderParam },
    responses: {
      200: json(z.object({ id: z.string(), review: z.enum(['released', 'rejected']) }), 'Recorded; the next batch applies it'),
      ...errorResponses(...authErrors, 'not_found', 'conflict'),
    },
  });

/** The batch on demand, held orders, custom rates, and what affiliates have earned. */
export function registerCommissionRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps, authorize: Authorize) {
  app.openapi(guarded(putProgramsAffiliatesRateRoute, authorize('merchant')), async (c) => {
    const params = c.req.valid('param');
    const { percent } = c.req.valid('json');
    const { effectiveFrom } = await setAffiliateRate(
      deps,
      c.get('principal'),
      parseId('program', params.id),
      parseId('affiliate', params.affiliateId),
      percent,
    );
    return c.json({ programId: params.id, affiliateId: params.affiliateId, percent, effectiveFrom }, 200);
  });

  app.openapi(guarded(postProgramsPlanSimulateRoute, authorize('merchant')), async (c) =>
    c.json(await simulatePlan(deps, c.get('principal'), parseId('program', c.req.valid('param').id), c.req.valid('json')), 200),
  );

  app.openapi(guarded(getEarningsRoute, authorize('affiliate')), async (c) =>
    c.json({ balances: await affiliateBalances(deps, c.get('principal').affiliateId!) }, 200),
  );

  app.openapi(guarded(postAdminBatchRoute, authorize('admin')), async (c) => {
    const body = (c.req.valid('json') as { asOf?: string } | undefined) ?? {};
    return c.json(await runBatchOnDemand(deps, body.asOf), 200);
  });

  for (const decision of ['release', 'reject'] as const) {
    app.openapi(guarded(reviewOrderRoute(decision), authorize('merchant')), async (c) => {
      const { id } = c.req.valid('param');
      return c.json({ id, review: await reviewHeldOrder(deps, c.get('principal'), id, decision) }, 200);
    });
  }
}
