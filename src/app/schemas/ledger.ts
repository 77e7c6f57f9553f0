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

const Iso = z.string().openapi({ description: 'ISO 8601 UTC' });

/** Why an order went (or did not go) to an affiliate, as decided once when it was first seen. */
export const AttributionReceipt = z
  .object({
    method: z.enum(['click', 'coupon', 'none']),
    reason: z.string(),
    rule: z.string(),
    placedAt: Iso,
    candidates: z.array(
      z.object({
        source: z.enum(['click', 'coupon']),
        value: z.string(),
        affiliateId: z.number().int().nullable(),
        verdict: z.enum(['won', 'valid_not_chosen', 'rejected']),
        reason: z.string().optional(),
        clickedAt: Iso.optional(),
        linkId: z.number().int().optional(),
      }),
    ),
    window: z
      .object({
        clickedAt: Iso,
        placedAt: Iso,
        cookieDays: z.number().int(),
        ageSeconds: z.number(),
        withinWindow: z.boolean(),
      })
      .optional(),
    flags: z.array(z.object({ flag: z.string(), holds: z.boolean(), detail: z.string() })),
  })
  .openapi('AttributionReceipt');

/** How a shop connector took the order. */
export const ConnectorReceipt = z
  .object({
    platform: z.enum(['shopify', 'woocommerce']),
    clickIdSource: z.string().nullable(),
    refundMethod: z.string(),
    refunds: z.array(z.string()),
    notes: z.array(z.string()),
  })
  .openapi('ConnectorReceipt');

/** `GET /v1/orders/{id}`: the order as tracked, for its merchant. */
export const TrackedOrder = z
  .object({
    id: z.string(),
    programId: z.string(),
    status: z.enum(ORDER_STATUSES),
    currency: z.string(),
    placedAt: Iso,
    paidAt: Iso.nullable(),
    completedAt: Iso.nullable(),
    refundedAt: Iso.nullable(),
    cancelledAt: Iso.nullable(),
    revenue: z.string(),
    refunded: z.string(),
    shipping: z.string(),
    tax: z.string(),
    nonCashAmount: z.string(),
    customer: z.object({ id: z.string().nullable(), newCustomer: z.boolean().nullable() }),
    items: z.array(
      z.object({
        sku: z.string(),
        category: z.string().nullable(),
        quantity: z.number().int(),
        unitPrice: z.string(),
        discount: z.string(),
        refundedQuantity: z.number().int(),
        refundedAmount: z.string().optional(),
        catalog: z
          .enum(['matched', 'unknown_sku'])
          .optional()
          .openapi({ description: "set when the program's catalogue was consulted for a line sent without a category" }),
        base: z.string(),
        baseAfterRefunds: z.string(),
      }),
    ),
    attribution: z.object({
      affiliateId: z.string().nullable(),
      method: z.enum(['click', 'coupon', 'none']),
      reason: z.string(),
      held: z.boolean(),
      clickId: z.string().nullable(),
      linkId: z.string().nullable(),
      coupon: z.string().nullable(),
      receipt: AttributionReceipt,
    }),
    history: z.array(
      z.object({
        type: z.string(),
        occurredAt: Iso,
        receivedAt: Iso,
        channel: z.enum(['webhook', 'postback']),
        deliveryId: z.string(),
      }),
    ),
    review: z.enum(['released', 'rejected']).nullable(),
    connector: ConnectorReceipt.optional(),
    commission: z.string().nullable().openapi({ description: "the attributed affiliate's commission now; null before the batch, or while it waits for a rate" }),
    commissionCurrency: z.string().nullable(),
    waitingForRate: z
      .object({ from: z.string(), to: z.string() })
      .nullable()
      .openapi({ description: 'the currency pair (order → program) the commission waits for; add a rate either way' }),
    ledger: z.array(LedgerEntry),
  })
  .openapi('TrackedOrder');
