import { createRoute, type OpenAPIHono, type RouteConfig, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { parseId } from '../../domain/ids';
import { ORDER_STATUSES, serializeEvent } from '../../domain/order';
import { verifyWebhook } from '../../domain/webhook-signature';
import { activeKeys, type IntakePrograms } from '../../use-cases/intake-programs';
import type { AppDeps } from '../../core/deps';
import type { AppEnv } from '../env';
import { AppError, validationFailed } from '../../core/errors';
import { signatureRejected } from '../signature-rejection';
import { parseJsonBytes } from '../utf8';
import { guarded } from './guarded';
import type { Authorize } from '../middleware/authorize';
import { authErrors, bearer, errorResponses, json, PageQuery } from '../schemas/common';
import { AffiliateOrderWithCommission, MerchantOrderSummary, TrackedOrder } from '../schemas/ledger';
import { fastNormalizedEvent, OrderEventBody, OrderIntakeResult, toNormalizedEvent } from '../schemas/order-event';
import { getMerchantOrder, listOrders } from '../../use-cases/order-views';
import { reviewHeldOrder } from '../../use-cases/order-review';
import { recordOrderEvent } from '../../use-cases/record-order-event';
import type { ClickIdSigner } from '../../domain/click-id';

const DateParam = z.iso.date();

/** The event through zod: for a body the fast path turned down, and the error it deserves. */
function validatedEvent(body: unknown) {
  const parsed = OrderEventBody.safeParse(body);
  if (!parsed.success) throw validationFailed(parsed.error.issues);
  return toNormalizedEvent(parsed.data);
}

export async function loadProgramForIntake(programs: IntakePrograms, programIdText: unknown, now: Date) {
  const intake = await programs.get(programIdText, now.getTime());
  if (!intake) throw new AppError('validation_failed', 'programId: unknown program');
  return intake;
}

const getOrdersByIdRoute = createRoute({
  method: 'get',
  path: '/v1/orders/{id}',
  tags: ['orders'],
  summary: 'An order as tracked: status, history, attribution receipt and ledger entries',
  security: bearer,
  request: {
    params: z.object({
      id: z
        .string()
        .max(128)
        .openapi({ param: { name: 'id', in: 'path' }, description: "the shop's order id" }),
    }),
  },
  responses: {
    200: json(TrackedOrder, 'The order'),
    ...errorResponses(...authErrors, 'not_found'),
  },
});

const getOrdersRoute = createRoute({
  method: 'get',
  path: '/v1/orders',
  tags: ['orders'],
  summary: 'Merchants: their orders; affiliates: the orders attributed to them, without customer data',
  security: bearer,
  request: {
    query: PageQuery.extend({
      programId: z.string().max(40).optional(),
      affiliateId: z
        .string()
        .max(40)
        .optional()
        .openapi({ description: "only this affiliate's orders (an affiliate key sees only its own anyway)" }),
      status: z.enum(ORDER_STATUSES).optional(),
      held: z.enum(['true', 'false']).optional().openapi({ description: 'only orders held for review (true) or not (false)' }),
      from: DateParam.optional().openapi({ description: 'placed on or after this date (UTC)' }),
      to: DateParam.optional().openapi({ description: 'placed on or before this date (UTC)' }),
    }).strict(),
  },
  responses: {
    200: json(
      z.object({
        orders: z.array(z.union([MerchantOrderSummary, AffiliateOrderWithCommission])).openapi({
          description: "a merchant's summaries, or an affiliate's own orders with the commission it earns on each",
        }),
        next: z.string().nullable(),
      }),
      'A page of orders',
    ),
    ...errorResponses(...authErrors, 'validation_failed'),
  },
});

const OrderParam = z.object({
  id: z
    .string()
    .max(128)
    .openapi({ param: { name: 'id', in: 'path' }, description: "the shop's order id" }),
});

const reviewOrderRoute = (decision: 'release' | 'reject') =>
  createRoute({
    method: 'post',
    path: `/v1/orders/{id}/${decision}`,
    tags: ['commissions'],
    summary:
      decision === 'release'
        ? 'Release a held order: its commission follows the normal lifecycle'
        : 'Reject a held order: its commission is reversed',
    security: bearer,
    request: { params: OrderParam },
    responses: {
      200: json(z.object({ id: z.string(), review: z.enum(['released', 'rejected']) }), 'Recorded; the next batch applies it'),
      ...errorResponses(...authErrors, 'not_found', 'conflict'),
    },
  });

const postOrdersRoute: RouteConfig = {
  method: 'post',
  path: '/v1/orders',
  tags: ['orders'],
  security: [],
  summary: "The shop's order event, signed per Standard Webhooks with the merchant's webhook secret",
  description:
    'Headers webhook-id, webhook-timestamp (unix seconds, within ±5 minutes) and webhook-signature (v1,<base64 HMAC-SHA256 of "id.timestamp.body">). ' +
    'A 2xx means the event is stored. Replays (same webhook-id, or the same content under a new id) answer 200 with duplicate: true and change nothing. ' +
    'A click id that fails verification still stores the order, unattributed, with the reason.',
  request: {
    headers: z.object({ 'webhook-id': z.string(), 'webhook-timestamp': z.string(), 'webhook-signature': z.string() }),
    body: { required: true, content: { 'application/json': { schema: OrderEventBody } } },
  },
  responses: {
    200: json(OrderIntakeResult, 'Stored (or already stored)'),
    ...errorResponses('invalid_json', 'invalid_signature', 'conflict', 'payload_too_large', 'validation_failed'),
  },
};

export function registerOrderRoutes(
  app: OpenAPIHono<AppEnv>,
  deps: AppDeps,
  authorize: Authorize,
  signClickId: ClickIdSigner,
  programs: IntakePrograms,
) {
  app.openAPIRegistry.registerPath(postOrdersRoute);

  const intakeDeps = { ...deps, signClickId };
  app.post('/v1/orders', async (c: Context<AppEnv>) => {
    const raw = new Uint8Array(await c.req.arrayBuffer());
    const body = parseJsonBytes(raw);
    const now = deps.clock.now();
    const intake = await loadProgramForIntake(programs, (body as { programId?: unknown } | null)?.programId, now);
    const { program } = intake;
    const keys = activeKeys(intake, now);
    const headers = {
      id: c.req.header('webhook-id'),
      timestamp: c.req.header('webhook-timestamp'),
      signature: c.req.header('webhook-signature'),
    };
    const verified = verifyWebhook(headers, raw, keys, Math.floor(now.getTime() / 1000), deps.crypto.hmacSha256);
    if (!verified.ok)
      throw signatureRejected(deps.log, verified.reason, { channel: 'webhook', programId: program.id, deliveryId: headers.id });
    if (headers.id!.length > 256) throw new AppError('bad_request', 'webhook-id is longer than 256 characters');

    const event = fastNormalizedEvent(body) ?? validatedEvent(body);
    const { eventJson, orderJson } = serializeEvent(event);
    const result = await recordOrderEvent(intakeDeps, {
      merchantId: program.merchant_id,
      program,
      channel: 'webhook',
      deliveryId: headers.id!,
      event,
      orderJson,
      contentHash: deps.crypto.sha256Hex(eventJson),
      catalog: intake.catalog,
    });
    return c.json(result, 200);
  });

  app.openapi(guarded(getOrdersByIdRoute, authorize('merchant')), async (c) =>
    c.json(await getMerchantOrder(deps, c.get('principal'), c.req.valid('param').id), 200),
  );

  app.openapi(guarded(getOrdersRoute, authorize('merchant', 'affiliate')), async (c) => {
    const q = c.req.valid('query');
    const programId = q.programId === undefined ? undefined : parseId('program', q.programId);
    const affiliateId = q.affiliateId === undefined ? undefined : parseId('affiliate', q.affiliateId);
    const after = q.after === undefined ? undefined : /^[0-9]{1,15}$/.test(q.after) ? Number(q.after) : undefined;
    if (q.affiliateId !== undefined && affiliateId === undefined) {
      throw new AppError('validation_failed', 'affiliateId: not an affiliate id');
    }
    if ((q.programId !== undefined && programId === undefined) || (q.after !== undefined && after === undefined)) {
      return c.json({ orders: [], next: null }, 200);
    }
    return c.json(
      await listOrders(deps, c.get('principal'), {
        limit: q.limit,
        after,
        programId,
        affiliateId,
        status: q.status,
        held: q.held === undefined ? undefined : q.held === 'true',
        from: q.from,
        to: q.to,
      }),
      200,
    );
  });
}

/** A merchant's release or rejection of a held order; registered with the commission routes, as /openapi.json lists them. */
export function registerOrderReviewRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps, authorize: Authorize) {
  for (const decision of ['release', 'reject'] as const) {
    app.openapi(guarded(reviewOrderRoute(decision), authorize('merchant')), async (c) => {
      const { id } = c.req.valid('param');
      return c.json({ id, review: await reviewHeldOrder(deps, c.get('principal'), id, decision) }, 200);
    });
  }
}
