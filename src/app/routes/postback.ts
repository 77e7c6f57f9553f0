import { type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { ClickIdSigner } from '../../domain/click-id';
import { ORDER_STATUSES } from '../../domain/order';
import type { AppDeps } from '../../core/deps';
import type { AppEnv } from '../env';
import { AppError, validationFailed } from '../../core/errors';
import { errorResponses, json } from '../schemas/common';
import { OrderEventBody, toNormalizedEvent } from '../schemas/order-event';
import { merchantForPostbackToken } from '../../use-cases/merchant-secrets';
import { recordOrderEvent } from '../../use-cases/record-order-event';
import type { IntakePrograms } from '../../use-cases/intake-programs';
import { OrderIntakeResult } from '../schemas/order-event';
import { loadProgramForIntake } from './orders';

const PARAMS = [
  'token',
  'programId',
  'orderId',
  'amount',
  'currency',
  'status',
  'clickId',
  'coupon',
  'customerId',
  'occurredAt',
] as const;

/** A failing field of the order event the postback becomes, named as the postback's parameter. */
function postbackParam(path: string): string {
  if (path === 'order.items[0].unitPrice') return 'amount';
  if (path === 'order.id') return 'orderId';
  if (path === 'type') return 'status';
  return path.replace(/^order\./, '');
}

/** Parameters from the query (GET) or a form body (POST); a repeated parameter is refused, not guessed. */
async function readParams(c: Context<AppEnv>): Promise<Record<string, string>> {
  const sources = [new URL(c.req.url).searchParams];
  if (c.req.method === 'POST') {
    const type = c.req.header('content-type') ?? '';
    if (!type.startsWith('application/x-www-form-urlencoded')) {
      throw new AppError(
        'unsupported_media_type',
        'send postback parameters in the query or as application/x-www-form-urlencoded',
      );
    }
    sources.push(new URLSearchParams(await c.req.text()));
  }
  const params: Record<string, string> = {};
  for (const source of sources) {
    for (const [key, value] of source) {
      if (key in params) throw new AppError('bad_request', `parameter ${key} is given more than once`);
      params[key] = value;
    }
  }
  return params;
}

export function registerPostbackRoutes(
  app: OpenAPIHono<AppEnv>,
  deps: AppDeps,
  signClickId: ClickIdSigner,
  programs: IntakePrograms,
) {
  const query = z.object({
    token: z.string().openapi({ description: "the merchant's postback token (POST /v1/postback-tokens)" }),
    programId: z.string(),
    orderId: z.string(),
    amount: z.string().openapi({ description: 'the order amount that earns commission, decimal', example: '99.90' }),
    currency: z.string(),
    status: z.enum(ORDER_STATUSES).optional().openapi({ description: 'default paid' }),
    clickId: z.string().optional(),
    coupon: z.string().optional(),
    customerId: z.string().optional(),
    occurredAt: z.string().optional(),
  });
  for (const method of ['get', 'post'] as const) {
    app.openAPIRegistry.registerPath({
      method,
      path: '/postback',
      tags: ['orders'],
      security: [],
      summary: 'Server-to-server postback for shops that cannot sign requests; same dedup and attribution as /v1/orders',
      request: { query },
      responses: {
        200: json(OrderIntakeResult, 'Stored (or already stored)'),
        ...errorResponses('bad_request', 'unauthorized', 'unsupported_media_type', 'validation_failed', 'conflict'),
      },
    });
  }

  const handler = async (c: Context<AppEnv>) => {
    const params = await readParams(c);
    for (const key of Object.keys(params)) {
      if (!(PARAMS as readonly string[]).includes(key)) throw new AppError('bad_request', `unknown parameter ${key}`);
    }
    const merchantId = params.token ? await merchantForPostbackToken(deps, params.token) : undefined;
    if (merchantId === undefined) throw new AppError('unauthorized', 'unknown or revoked postback token');
    const { program, catalog } = await loadProgramForIntake(programs, params.programId, deps.clock.now());
    if (program.merchant_id !== merchantId) throw new AppError('validation_failed', 'programId: unknown program');
    const status = params.status ?? 'paid';
    const parsed = OrderEventBody.safeParse({
      type: `order.${status}`,
      programId: params.programId,
      occurredAt: params.occurredAt ?? deps.clock.now().toISOString(),
      order: {
        id: params.orderId,
        currency: params.currency,
        ...(params.clickId ? { clickId: params.clickId } : {}),
        ...(params.coupon ? { coupon: params.coupon } : {}),
        ...(params.customerId ? { customerId: params.customerId } : {}),
        items: [{ sku: 'postback', quantity: 1, unitPrice: params.amount }],
      },
    });
    if (!parsed.success) throw validationFailed(parsed.error.issues, postbackParam);
    const event = toNormalizedEvent(parsed.data);
    // Without an occurredAt of its own, a retried postback must hash the same as the first.
    const identity = params.occurredAt ? event : { type: event.type, order: event.order };
    const contentHash = deps.crypto.sha256Hex(JSON.stringify(identity));
    const result = await recordOrderEvent(
      { ...deps, signClickId },
      { merchantId, program, channel: 'postback', deliveryId: `postback:${contentHash}`, event, contentHash, catalog },
    );
    return c.json(result, 200);
  };
  app.get('/postback', handler);
  app.post('/postback', handler);
}
