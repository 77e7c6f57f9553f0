import { z } from '@hono/zod-openapi';
import { CONNECTOR_PLATFORMS } from '../../domain/connectors/connector-order';
import { OrderIntakeResult } from './order-event';

// The connector webhooks' answers (routes/connectors.ts).

export const ConnectorResult = OrderIntakeResult.extend({
  connector: z.object({
    platform: z.enum(CONNECTOR_PLATFORMS),
    clickIdSource: z.string().nullable(),
    refundMethod: z.enum(['none', 'line_items', 'proportional', 'rest_line_detail']),
    refunds: z.array(z.string()),
    notes: z.array(z.string()),
  }),
}).openapi('ConnectorResult');
export const ConnectorPending = z
  .object({ id: z.string(), pending: z.literal(true), reason: z.string() })
  .openapi('ConnectorPending');
export const ConnectorIgnored = z.object({ ignored: z.literal(true), reason: z.string() }).openapi('ConnectorIgnored');

/** The program a webhook is for, in its path. */
export const WebhookProgramParam = z.object({
  programId: z
    .string()
    .max(40)
    .openapi({ param: { name: 'programId', in: 'path' }, example: 'prg_1' }),
});
