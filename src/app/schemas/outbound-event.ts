import { z } from '@hono/zod-openapi';
import { EVENT_TYPES, type EventType, TEST_EVENT } from '../../domain/outbound-events';
import { LedgerEntry, MerchantOrderSummary } from './ledger';
import { Payout } from './payout';

/**
 * The webhook catalogue as schemas (docs/webhooks.md): one per event type, `{id, type, createdAt,
 * data}`, with `data` the resource as the API returns it plus `version`. The same schemas
 * document /openapi.json's `webhooks` and check real deliveries in the tests, so the two cannot
 * drift apart.
 */
const Version = z
  .number()
  .int()
  .openapi({ description: 'the outbox sequence, which only grows: ignore an event older than one already applied' });

export const SaleEventData = MerchantOrderSummary.extend({ version: Version }).openapi('SaleEventData', {
  description: 'the order, as in GET /v1/orders',
});

export const CommissionEventData = LedgerEntry.extend({
  orderId: z.string().nullable().openapi({ description: "the shop's order id; null for a manual adjustment on no order" }),
  programId: z.string(),
  statusChangedAt: z.string(),
  version: Version,
}).openapi('CommissionEventData', { description: 'the ledger entry, as in GET /v1/orders/{id}, with its order and program' });

export const PayoutEventData = Payout.extend({ version: Version }).openapi('PayoutEventData', {
  description: 'the payout run as of the event, as in GET /v1/payouts/{id} without lines',
});

export const WebhookTestEventData = z
  .object({ endpointId: z.string(), message: z.string(), version: Version })
  .openapi('WebhookTestEventData', { description: 'a test send carries no resource' });

type CatalogueType = EventType | typeof TEST_EVENT;

const DATA: Record<CatalogueType, z.ZodObject> = {
  'sale.created': SaleEventData,
  'sale.updated': SaleEventData,
  'commission.created': CommissionEventData,
  'commission.approved': CommissionEventData,
  'commission.reversed': CommissionEventData,
  'payout.created': PayoutEventData,
  'payout.paid': PayoutEventData,
  'payout.failed': PayoutEventData,
  [TEST_EVENT]: WebhookTestEventData,
};

/** `sale.created` → `SaleCreatedEvent`: the component's name. */
export function eventSchemaName(type: string): string {
  return `${type
    .split('.')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('')}Event`;
}

function envelope(type: CatalogueType) {
  return z
    .object({
      id: z.string().openapi({ description: 'also the webhook-id header: the same on every retry and replay', example: 'evt_1' }),
      type: z.literal(type),
      createdAt: z.string().openapi({ description: 'when the change happened (ISO 8601 UTC)' }),
      data: DATA[type],
    })
    .openapi(eventSchemaName(type));
}

export const EVENT_CATALOGUE: readonly CatalogueType[] = [...EVENT_TYPES, TEST_EVENT];

export const EVENT_SCHEMAS = Object.fromEntries(EVENT_CATALOGUE.map((type) => [type, envelope(type)])) as Record<
  CatalogueType,
  ReturnType<typeof envelope>
>;
