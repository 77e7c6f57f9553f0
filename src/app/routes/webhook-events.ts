import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { TEST_EVENT } from '../../domain/outbound-events';
import type { AppEnv } from '../env';
import { EVENT_CATALOGUE, EVENT_SCHEMAS } from '../schemas/outbound-event';

/** When each event is sent, and to whom (docs/webhooks.md, "The catalogue"). */
const WHEN: Record<(typeof EVENT_CATALOGUE)[number], string> = {
  'sale.created': 'To the merchant: an attributed order is first recorded.',
  'sale.updated': "To the merchant: an attributed order's status, revenue or refunded amount changes.",
  'commission.created':
    'To the merchant (and the affiliate as a postback): an accrual, override or positive manual adjustment is appended to the ledger.',
  'commission.approved': 'To the merchant (and the affiliate as a postback): a pending entry is approved after the lock period.',
  'commission.reversed':
    'To the merchant (and the affiliate as a postback): an adjustment, reversal, clawback or negative manual adjustment is appended (`kind` says which), or a pending entry is reversed.',
  'payout.created': 'To operators (admin and finance endpoints): a payout run is made.',
  'payout.paid': 'To operators: finance marks a payout run paid.',
  'payout.failed': 'To operators: finance marks a payout run failed.',
  [TEST_EVENT]: 'To one endpoint, on request (POST /v1/webhook-endpoints/{id}/test).',
};

const Headers = z.object({
  'webhook-id': z.string().openapi({ description: "the event's id, the same on every retry and replay", example: 'evt_1' }),
  'webhook-timestamp': z
    .string()
    .openapi({ description: 'seconds since the epoch, when this attempt was signed', example: '1764064800' }),
  'webhook-signature': z.string().openapi({
    description: 'Standard Webhooks: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, two of them during a secret rotation',
    example: 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=',
  }),
});

/**
 * The event catalogue in /openapi.json: OpenAPI 3.1's top-level `webhooks`, one request per event
 * type that clickledger sends to an endpoint, its body the type's component schema.
 */
export function registerWebhookEventDocs(app: OpenAPIHono<AppEnv>): void {
  for (const type of EVENT_CATALOGUE) {
    app.openAPIRegistry.registerWebhook({
      method: 'post',
      path: type,
      tags: ['webhooks'],
      // The receiver checks the webhook-signature header, not a scheme the caller presents.
      security: [],
      operationId: `${type.replace(/\.(\w)/, (_, c: string) => c.toUpperCase())}Webhook`,
      summary: `${type}: ${WHEN[type]}`,
      description:
        'Sent as a signed POST (Standard Webhooks) to each endpoint subscribed to this type, at least once: deduplicate on webhook-id.',
      request: {
        headers: Headers,
        body: { required: true, content: { 'application/json': { schema: EVENT_SCHEMAS[type] } } },
      },
      responses: {
        200: { description: 'Any 2xx acknowledges the delivery; the body is ignored (only its first 1 KB is logged).' },
        '4XX': { description: 'A failure: retried after 1 min, 5 min, 30 min, 2 h and 12 h, then failed.' },
        '5XX': { description: 'A failure, as any non-2xx, a connection error or no answer within 10 s.' },
      },
    });
  }
}
