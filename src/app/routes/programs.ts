import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { ATTRIBUTION_SOURCES } from '../../domain/attribution';
import { parseId } from '../../domain/ids';
import type { AppDeps } from '../../core/deps';
import type { AppEnv } from '../env';
import { guarded } from './guarded';
import type { Authorize } from '../middleware/authorize';
import { authErrors, bearer, bodyErrors, CurrencySchema, errorResponses, json, jsonBody, NameSchema } from '../schemas/common';
import { PlanSchema } from '../schemas/plan';
import { createProgram, getProgram, listMembers, listPrograms, setMembership, updateProgram } from '../../use-cases/programs';

const DomainList = z
  .array(z.string().min(1).max(253))
  .min(1)
  .max(50)
  .openapi({
    example: ['shop.example', 'www.shop.example'],
    description: 'exact hosts (with :port if not the default) a landing URL may use',
  });

const ProgramFields = {
  name: NameSchema,
  landingUrl: z.string().min(1).max(2048).openapi({ example: 'https://shop.example/' }),
  allowedDomains: DomainList,
  cookieDays: z.number().int().min(1).max(365),
  lockDays: z.number().int().min(0).max(365),
  plan: PlanSchema,
  attributionOrder: z
    .array(z.enum(ATTRIBUTION_SOURCES))
    .min(1)
    .max(2)
    .refine((list) => new Set(list).size === list.length, { message: 'each source at most once' })
    .openapi({ description: 'sources that may attribute an order, in the order tried', example: ['click', 'coupon'] }),
  fraudChecks: z
    .object({
      minClickToOrderSeconds: z.number().int().min(1).max(86_400).optional(),
      selfReferral: z.boolean().optional(),
      paidSearch: z.boolean().optional(),
    })
    .strict()
    .openapi('FraudChecks', { description: 'checks that hold an order for review; all off until set' }),
};

const ProgramCreate = z
  .object({
    ...ProgramFields,
    currency: CurrencySchema,
    cookieDays: ProgramFields.cookieDays.default(30),
    lockDays: ProgramFields.lockDays.default(30),
    attributionOrder: ProgramFields.attributionOrder.optional(),
    fraudChecks: ProgramFields.fraudChecks.optional(),
  })
  .strict()
  .openapi('ProgramCreate');

const ProgramPatch = z
  .object({
    name: ProgramFields.name.optional(),
    landingUrl: ProgramFields.landingUrl.optional(),
    allowedDomains: DomainList.optional(),
    cookieDays: ProgramFields.cookieDays.optional(),
    lockDays: ProgramFields.lockDays.optional(),
    plan: PlanSchema.optional(),
    attributionOrder: ProgramFields.attributionOrder.optional(),
    fraudChecks: ProgramFields.fraudChecks.optional(),
    status: z.enum(['active', 'paused']).optional(),
  })
  .strict()
  .openapi('ProgramPatch');

const Program = z
  .object({
    id: z.string(),
    merchantId: z.string(),
    name: z.string(),
    landingUrl: z.string(),
    allowedDomains: z.array(z.string()),
    currency: z.string(),
    cookieDays: z.number(),
    lockDays: z.number(),
    plan: PlanSchema,
    attributionOrder: z.array(z.enum(ATTRIBUTION_SOURCES)),
    fraudChecks: ProgramFields.fraudChecks,
    status: z.enum(['active', 'paused']),
    membership: z.enum(['approved', 'suspended']).optional().openapi({ description: "affiliates: the caller's standing" }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Program');

const Member = z
  .object({
    affiliateId: z.string(),
    name: z.string(),
    status: z.enum(['approved', 'suspended']),
    approvedAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('ProgramAffiliate');

const ProgramParam = z.object({
  id: z
    .string()
    .max(40)
    .openapi({ param: { name: 'id', in: 'path' }, example: 'prg_1' }),
});
const MemberParams = ProgramParam.extend({
  affiliateId: z
    .string()
    .max(40)
    .openapi({ param: { name: 'affiliateId', in: 'path' }, example: 'aff_1' }),
});

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
  responses: { 200: json(z.object({ programs: z.array(Program) }), 'Programs'), ...errorResponses(...authErrors) },
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
  request: { params: ProgramParam },
  responses: {
    200: json(z.object({ affiliates: z.array(Member) }), 'Affiliates'),
    ...errorResponses(...authErrors, 'not_found'),
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

  app.openapi(guarded(patchProgramsByIdRoute, authorize('merchant')), async (c) =>
    c.json(await updateProgram(deps, c.get('principal'), parseId('program', c.req.valid('param').id), c.req.valid('json')), 200),
  );

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
