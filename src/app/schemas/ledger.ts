import { z } from '@hono/zod-openapi';
import { LEDGER_KINDS, LEDGER_STATUSES } from '../../domain/ledger';
import { ORDER_STATUSES } from '../../domain/order';

/** One ledger entry as an order's detail and the commission list show it (`ledgerEntryView`). */
export const LedgerEntry = z
  .object({
    id: z.string().openapi({ description: 'deterministic: order, slot, beneficiary and sequence' }),
    affiliateId: z.string(),
    slot: z.string().openapi({ description: 'what the entry is for: a line ("line:0"), a bonus, the cap, the recruiter\'s share' }),
    kind: z.enum(LEDGER_KINDS),
    status: z.enum(LEDGER_STATUSES),
    amount: z.string().openapi({ description: 'signed, in the currency\'s precision' }),
    currency: z.string(),
    base: z.string().nullable(),
    rate: z.string().nullable().openapi({ description: 'percent, e.g. "8"' }),
    rule: z.string(),
    planVersion: z.number().int(),
    fx: z
      .object({
        from: z.string().nullable(),
        rate: z.string().nullable(),
        source: z.string().nullable(),
        effectiveAt: z.string().nullable(),
      })
      .nullable()
      .openapi({ description: "the exchange rate pinned to the order when its currency is not the program's" }),
    explanation: z.string(),
    createdAt: z.string(),
  })
  .openapi('LedgerEntry');

export const CommissionEntry = LedgerEntry.extend({
  orderId: z.string().openapi({ description: "the shop's order id" }),
  programId: z.string(),
  lockDate: z
    .string()
    .nullable()
    .openapi({ description: "when the order's lock period ends (completion + the program's lock days); null until completed" }),
  statusChangedAt: z.string(),
}).openapi('CommissionEntry');

/** An order as an affiliate's list shows it: no customer data, no line detail. */
export const AffiliateOrder = z
  .object({
    id: z.string(),
    programId: z.string(),
    status: z.enum(ORDER_STATUSES),
    currency: z.string(),
    revenue: z.string().openapi({ description: 'net of refunds' }),
    placedAt: z.string(),
    completedAt: z.string().nullable(),
    method: z.enum(['click', 'coupon', 'none']),
    linkId: z.string().nullable(),
    held: z.boolean(),
  })
  .openapi('AffiliateOrder');

export const AffiliateOrderWithCommission = AffiliateOrder.extend({
  commission: z
    .object({
      currency: z.string(),
      estimated: z.string().openapi({ description: 'pending and held entries' }),
      settled: z.string().openapi({ description: 'approved and paid entries' }),
      status: z.enum(LEDGER_STATUSES).openapi({ description: "the latest entry's status (clawbacks aside)" }),
      lockDate: z.string().nullable(),
    })
    .nullable()
    .openapi({ description: "the caller's own commission on the order; null before the batch has looked at it" }),
}).openapi('AffiliateOrderWithCommission');

export const MerchantOrderSummary = AffiliateOrder.extend({
  affiliateId: z.string().nullable(),
  reason: z.string().openapi({ description: 'why the order was or was not attributed' }),
}).openapi('MerchantOrderSummary');
