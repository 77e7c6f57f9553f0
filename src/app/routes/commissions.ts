import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { runCommissionBatch } from '../../batch/commission-batch';
import type { AppDeps } from '../deps';
import type { AppEnv } from '../env';
import { AppError, notFound } from '../errors';
import type { Authorize } from '../middleware/authorize';
import { authErrors, bearer, bodyErrors, errorResponses, json } from '../schemas/common';

const BatchReport = z
  .object({
    asOf: z.string(),
    ordersExamined: z.number(),
    ordersChanged: z.number(),
    entriesAppended: z.number(),
    statusChanges: z.number(),
    skippedOtherCurrency: z.number(),
    watermark: z.string(),
    durationMs: z.number(),
  })
  .openapi('BatchReport');

const OrderParam = z.object({ id: z.string().max(128).openapi({ param: { name: 'id', in: 'path' }, description: "the shop's order id" }) });

/** The batch on demand, and the merchant's decision on held orders. */
export function registerCommissionRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps, authorize: Authorize) {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/admin/batch',
      tags: ['commissions'],
      summary: 'Run the commission batch now (it also runs every minute); asOf defaults to now and may not be in the future',
      security: bearer,
      middleware: [authorize('admin')] as const,
      request: {
        body: { required: false, content: { 'application/json': { schema: z.object({ asOf: z.iso.datetime({ offset: true }).optional() }).strict() } } },
      },
      responses: { 200: json(BatchReport, 'What the run did'), ...errorResponses(...authErrors, ...bodyErrors) },
    }),
    async (c) => {
      const body = (c.req.valid('json') as { asOf?: string } | undefined) ?? {};
      const now = deps.clock.now();
      const asOf = body.asOf ? new Date(body.asOf) : now;
      // A future asOf would approve commissions whose lock period has not passed.
      if (asOf.getTime() > now.getTime()) throw new AppError('validation_failed', 'asOf: must not be in the future');
      return c.json(await runCommissionBatch(deps.db, asOf), 200);
    },
  );

  for (const decision of ['release', 'reject'] as const) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/v1/orders/{id}/${decision}`,
        tags: ['commissions'],
        summary:
          decision === 'release'
            ? 'Release a held order: its commission follows the normal lifecycle'
            : 'Reject a held order: its commission is reversed',
        security: bearer,
        middleware: [authorize('merchant')] as const,
        request: { params: OrderParam },
        responses: {
          200: json(z.object({ id: z.string(), review: z.enum(['released', 'rejected']) }), 'Recorded; the next batch applies it'),
          ...errorResponses(...authErrors, 'not_found', 'conflict'),
        },
      }),
      async (c) => {
        const { id } = c.req.valid('param');
        const principal = c.get('principal');
        const order = await deps.db
          .selectFrom('orders')
          .select(['id', 'held', 'review'])
          .where('merchant_id', '=', principal.merchantId!)
          .where('external_id', '=', id)
          .executeTakeFirst();
        if (!order) throw notFound('order');
        if (order.held !== 1) throw new AppError('conflict', 'this order is not held');
        const review: 'released' | 'rejected' = decision === 'release' ? 'released' : 'rejected';
        if (order.review !== null && order.review !== review) throw new AppError('conflict', `this order was already ${order.review}`);
        await deps.db
          .updateTable('orders')
          .set({ review, updated_at: deps.clock.now().toISOString() })
          .where('id', '=', order.id)
          .execute();
        return c.json({ id, review }, 200);
      },
    );
  }
}
