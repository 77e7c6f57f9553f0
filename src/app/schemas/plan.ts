import { z } from '@hono/zod-openapi';
import type { Plan } from '../../domain/commission-plan';
import { percentToBasisPoints } from '../../domain/rate';

/** Rates are percent strings with at most two decimals ("2.9"), held inside as basis points. */
const Percent = z
  .string()
  .refine((v) => percentToBasisPoints(v) !== undefined, {
    message: 'must be a percent from "0" to "100" with at most two decimals',
  })
  .openapi({ example: '8' });

/** Amounts are decimal strings; their decimals are checked against the program's currency. */
export const Amount = z
  .string()
  .regex(/^(0|[1-9][0-9]*)(\.[0-9]+)?$/, 'must be a non-negative decimal string such as "5.00"')
  .openapi({ example: '5.00' });

const Rule = z
  .object({
    sku: z.string().min(1).max(100).optional(),
    category: z.string().min(1).max(100).optional(),
    newCustomer: z.boolean().optional(),
    percent: Percent.optional(),
    flat: Amount.optional().openapi({ description: 'a fixed amount per unit' }),
    bonusFlat: Amount.optional().openapi({ description: 'added once to each order matching the rule' }),
  })
  .strict()
  .refine((r) => r.percent !== undefined || r.flat !== undefined || r.bonusFlat !== undefined, {
    message: 'a rule needs percent, flat or bonusFlat',
  })
  .refine((r) => !(r.percent !== undefined && r.flat !== undefined), {
    message: 'a rule sets either percent or flat, not both',
  });

const Tier = z.object({ monthlySalesOver: Amount, percent: Percent }).strict();

export const PlanSchema = z
  .object({
    default: z.object({ percent: Percent }).strict(),
    rules: z.array(Rule).max(200).default([]),
    tiers: z
      .array(Tier)
      .max(20)
      .default([])
      .refine((tiers) => tiers.every((t, i) => i === 0 || Number(t.monthlySalesOver) > Number(tiers[i - 1]!.monthlySalesOver)), {
        message: 'tiers must be in ascending order of monthlySalesOver',
      }),
    maxPerOrder: Amount.optional(),
    parentPercent: Percent.optional(),
    excludeNonCash: z.boolean().default(false),
    rounding: z.enum(['order', 'line']).default('order').openapi({
      description:
        "order: percent commission is rounded once on the order's total and allotted to the lines by largest remainder; line: each line is rounded by itself. A plan stored before this setting existed stays per line.",
    }),
  })
  .strict()
  .openapi('CommissionPlan', {
    example: {
      default: { percent: '8' },
      rules: [
        { sku: 'GIFT-CARD', percent: '0' },
        { category: 'electronics', percent: '3' },
        { newCustomer: true, bonusFlat: '5.00' },
      ],
      tiers: [{ monthlySalesOver: '10000.00', percent: '10' }],
      maxPerOrder: '200.00',
      parentPercent: '10',
      excludeNonCash: true,
      rounding: 'order',
    },
  });

// The schema's output is the domain's Plan, both ways: a field added to one and not the other
// fails the type check here.
type Parsed = z.infer<typeof PlanSchema>;
export const planMatchesDomain: [Parsed extends Plan ? true : false, Plan extends Parsed ? true : false] = [true, true];

/** The what-if: the period's orders under a proposed plan next to the plans in force. */
export const PlanSimulation = z
  .object({
    programId: z.string(),
    currency: z.string(),
    from: z.string(),
    to: z.string(),
    orders: z.number().int(),
    skippedOtherCurrency: z.number().int(),
    affiliates: z.array(
      z.object({
        affiliateId: z.string(),
        orders: z.number().int(),
        current: z.string(),
        proposed: z.string(),
        difference: z.string(),
      }),
    ),
    totals: z.object({
      current: z.string(),
      proposed: z.string(),
      difference: z.string(),
      recruiterCurrent: z.string(),
      recruiterProposed: z.string(),
    }),
  })
  .openapi('PlanSimulation');
