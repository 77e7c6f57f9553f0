import { z } from '@hono/zod-openapi';
import { ATTRIBUTION_SOURCES } from '../../domain/attribution';
import { CurrencySchema, NameSchema } from './common';
import { PlanSchema } from './plan';

// A program's request and response bodies (routes/programs.ts).

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

export const ProgramCreate = z
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

export const ProgramPatch = z
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

export const Program = z
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
    // Merchants only: affiliates never see the thresholds.
    fraudChecks: ProgramFields.fraudChecks.optional(),
    status: z.enum(['active', 'paused']),
    membership: z.enum(['approved', 'suspended']).optional().openapi({ description: "affiliates: the caller's standing" }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Program');

export const Member = z
  .object({
    affiliateId: z.string(),
    name: z.string(),
    status: z.enum(['approved', 'suspended']),
    approvedAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('ProgramAffiliate');

export const ProgramParam = z.object({
  id: z
    .string()
    .max(40)
    .openapi({ param: { name: 'id', in: 'path' }, example: 'prg_1' }),
});
export const MemberParams = ProgramParam.extend({
  affiliateId: z
    .string()
    .max(40)
    .openapi({ param: { name: 'affiliateId', in: 'path' }, example: 'aff_1' }),
});
