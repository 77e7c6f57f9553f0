import { z } from '@hono/zod-openapi';

/** A payout run's headline as the API returns it (`summarize`), and as its events carry it. */
export const Payout = z
  .object({
    id: z.string(),
    status: z.enum(['created', 'paid', 'failed', 'cancelled']),
    asOf: z.string(),
    minimumAmount: z
      .string()
      .nullable()
      .openapi({ description: 'the one minimum asked for; null when the run was given minimums' }),
    currency: z.string().nullable(),
    minimums: z
      .record(z.string(), z.string())
      .openapi({ description: 'the minimum applied in each currency the run pays', example: { EUR: '25.00', JPY: '4000' } }),
    skipped: z
      .array(
        z.object({
          currency: z.string(),
          reason: z.enum(['no_minimum', 'minimum_too_precise', 'below_minimum']),
          message: z.string(),
        }),
      )
      .openapi({ description: 'currencies with approved, unpaid entries up to asOf that the run did not pay, and why' }),
    affiliates: z.number(),
    total: z
      .record(z.string(), z.string())
      .openapi({ description: 'per currency; never a cross-currency sum', example: { EUR: '1234.50' } }),
    createdAt: z.string(),
    settledAt: z.string().nullable(),
  })
  .openapi('Payout');
