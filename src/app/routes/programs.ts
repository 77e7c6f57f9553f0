import type { MiddlewareHandler } from 'hono';
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { parseId } from '../../domain/ids';
import { percentToBasisPoints } from '../../domain/rate';
import type { AppDeps } from '../../core/deps';
import type { AppEnv } from '../env';
import { guarded } from './guarded';
import type { Authorize } from '../middleware/authorize';
import { authErrors, bearer, bodyErrors, errorResponses, json, jsonBody, NoQuery, pathId } from '../schemas/common';
import { PlanSchema, PlanSimulation } from '../schemas/plan';
import { Member, MemberParams, Program, ProgramCreate, ProgramParam, ProgramPatch } from '../schemas/program';
import { setAffiliateRate } from '../../use-cases/affiliate-rates';
import { createProgram, getProgram, listMembers, listPrograms, setMembership, updateProgram } from '../../use-cases/programs';
import { simulatePlan } from '../../use-cases/simulate-plan';

const postProgramsRoute = createRoute({
  method: 'post',
  path: '/v1/programs',
  tags: ['programs'],
  summary: 'Create a program with its commission plan',
  security: bearer,
  request: { body: jsonBody(ProgramCreate) },
  responses: { 201: json(Program, 'The program'), ...errorResponses(...authErrors, ...bodyErrors) },
});

const getProgramsRoute = createRoute({
  method: 'get',
  path: '/v1/programs',
  tags: ['programs'],
  summary: 'Merchants: their programs; affiliates: the programs they belong to',
  security: bearer,
  request: { query: NoQuery },
  responses: {
    200: json(z.object({ programs: z.array(Program) }), 'Programs'),
    ...errorResponses(...authErrors, 'validation_failed'),
  },
});

const getProgramsByIdRoute = createRoute({
  method: 'get',
  path: '/v1/programs/{id}',
  tags: ['programs'],
  summary: 'A program',
  security: bearer,
  request: { params: ProgramParam },
  responses: { 200: json(Program, 'The program'), ...errorResponses(...authErrors, 'not_found') },
});

const patchProgramsByIdRoute = createRoute({
  method: 'patch',
  path: '/v1/programs/{id}',
  tags: ['programs'],
  summary: 'Change a program; status "paused" keeps redirecting visitors but stops tracking',
  security: bearer,
  request: { params: ProgramParam, body: jsonBody(ProgramPatch) },
  responses: { 200: json(Program, 'The program'), ...errorResponses(...authErrors, ...bodyErrors, 'not_found') },
});

const postProgramsAffiliatesRoute = createRoute({
  method: 'post',
  path: '/v1/programs/{id}/affiliates',
  tags: ['programs'],
  summary: 'Approve an affiliate for the program (also re-approves a suspended one)',
  security: bearer,
  request: { params: ProgramParam, body: jsonBody(z.object({ affiliateId: z.string().max(40) }).strict()) },
  responses: {
    200: json(z.object({ programId: z.string(), affiliateId: z.string(), status: z.string() }), 'Membership'),
    ...errorResponses(...authErrors, ...bodyErrors, 'not_found'),
  },
});

const getProgramsAffiliatesRoute = createRoute({
  method: 'get',
  path: '/v1/programs/{id}/affiliates',
  tags: ['programs'],
  summary: "The program's affiliates and their standing",
  security: bearer,
  request: { params: ProgramParam, query: NoQuery },
  responses: {
    200: json(z.object({ affiliates: z.array(Member) }), 'Affiliates'),
    ...errorResponses(...authErrors, 'validation_failed', 'not_found'),
  },
});

const postProgramsAffiliatesSuspendRoute = createRoute({
  method: 'post',
  path: '/v1/programs/{id}/affiliates/{affiliateId}/suspend',
  tags: ['programs'],
  summary: "Suspend an affiliate: their links redirect untracked and they can't make new ones",
  security: bearer,
  request: { params: MemberParams },
  responses: {
    200: json(z.object({ programId: z.string(), affiliateId: z.string(), status: z.string() }), 'Membership'),
    ...errorResponses(...authErrors, 'not_found'),
  },
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
      id: pathId('id'),
      affiliateId: pathId('affiliateId'),
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
      id: pathId('id'),
    }),
    body: jsonBody(z.object({ plan: PlanSchema, from: z.iso.date(), to: z.iso.date() }).strict()),
  },
  responses: {
    200: json(PlanSimulation, 'Totals per affiliate: current, proposed, difference'),
    ...errorResponses(...authErrors, ...bodyErrors, 'not_found'),
  },
});

export function registerProgramRoutes(
  app: OpenAPIHono<AppEnv>,
  deps: AppDeps & { onTrackingChange: () => void },
  authorize: Authorize,
) {
  app.openapi(guarded(postProgramsRoute, authorize('merchant')), async (c) =>
    c.json(await createProgram(deps, c.get('principal'), c.req.valid('json')), 201),
  );

  app.openapi(guarded(getProgramsRoute, authorize('merchant', 'affiliate')), async (c) =>
    c.json({ programs: await listPrograms(deps, c.get('principal')) }, 200),
  );

  app.openapi(guarded(getProgramsByIdRoute, authorize('merchant', 'affiliate')), async (c) =>
    c.json(await getProgram(deps, c.get('principal'), parseId('program', c.req.valid('param').id)), 200),
  );

  app.openapi(guarded(patchProgramsByIdRoute, authorize('merchant')), async (c) => {
    const id = parseId('program', c.req.valid('param').id);
    // The program as it was, for the audit row's before → after (a plan change above all).
    c.set('auditBefore', await getProgram(deps, c.get('principal'), id));
    return c.json(await updateProgram(deps, c.get('principal'), id, c.req.valid('json')), 200);
  });

  app.openapi(guarded(postProgramsAffiliatesRoute, authorize('merchant')), async (c) =>
    c.json(
      await setMembership(
        deps,
        c.get('principal'),
        parseId('program', c.req.valid('param').id),
        parseId('affiliate', c.req.valid('json').affiliateId),
        'approved',
      ),
      200,
    ),
  );

  app.openapi(guarded(getProgramsAffiliatesRoute, authorize('merchant')), async (c) =>
    c.json({ affiliates: await listMembers(deps, c.get('principal'), parseId('program', c.req.valid('param').id)) }, 200),
  );

  app.openapi(guarded(postProgramsAffiliatesSuspendRoute, authorize('merchant')), async (c) => {
    const params = c.req.valid('param');
    return c.json(
      await setMembership(
        deps,
        c.get('principal'),
        parseId('program', params.id),
        parseId('affiliate', params.affiliateId),
        'suspended',
      ),
      200,
    );
  });
}

/**
 * A program's commission terms beyond its plan: one affiliate's custom rate, and a proposed
 * plan tried on past orders (a heavy request: `heavy` limits how many one tenant runs at once).
 * Registered after the coupon routes, where /openapi.json lists them.
 */
export function registerProgramCommissionRoutes(
  app: OpenAPIHono<AppEnv>,
  deps: AppDeps,
  authorize: Authorize,
  heavy: MiddlewareHandler<AppEnv>,
) {
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

  app.openapi(guarded(postProgramsPlanSimulateRoute, authorize('merchant'), heavy), async (c) =>
    c.json(await simulatePlan(deps, c.get('principal'), parseId('program', c.req.valid('param').id), c.req.valid('json')), 200),
  );
}
