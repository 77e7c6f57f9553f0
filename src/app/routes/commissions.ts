import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { sql } from 'kysely';
import { runBatchJob } from '../../batch/batch-job';
import { StaleAsOfError } from '../../batch/commission-batch';
import { parseId } from '../../domain/ids';
import { formatMoney } from '../../domain/money';
import { percentToBasisPoints } from '../../domain/rate';
import type { AppDeps } from '../../core/deps';
import type { AppEnv } from '../env';
import { AppError, notFound } from '../../core/errors';
import type { Authorize } from '../middleware/authorize';
import { authErrors, bearer, bodyErrors, errorResponses, json, jsonBody } from '../schemas/common';
import { PlanSchema } from '../schemas/plan';
import { findOwnProgram } from '../../use-cases/programs';
import { simulatePlan } from '../../use-cases/simulate-plan';

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
    export: z
      .object({
        clicks: z.number(),
        orders: z.number(),
        ledgerEntries: z.number(),
        blocks: z.number(),
        durationMs: z.number(),
        mismatches: z
          .number()
          .openapi({ description: 'ledger totals that differ between the SQL store and ClickHouse after the export' }),
      })
      .nullable()
      .openapi({ description: 'What was copied to ClickHouse (null where no ClickHouse is configured)' }),
  })
  .openapi('BatchReport');

const OrderParam = z.object({
  id: z
    .string()
    .max(128)
    .openapi({ param: { name: 'id', in: 'path' }, description: "the shop's order id" }),
});

const Percent = z.string().refine((v) => percentToBasisPoints(v) !== undefined, {
  message: 'must be a percent from "0" to "100" with at most two decimals',
});

/** The batch on demand, held orders, custom rates, and what affiliates have earned. */
export function registerCommissionRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps, authorize: Authorize) {
  app.openapi(
    createRoute({
      method: 'put',
      path: '/v1/programs/{id}/affiliates/{affiliateId}/rate',
      tags: ['commissions'],
      summary:
        "A custom rate for one affiliate, replacing the plan's default and tiers for orders placed from now on (null ends it)",
      security: bearer,
      middleware: [authorize('merchant')] as const,
      request: {
        params: z.object({
          id: z
            .string()
            .max(40)
            .openapi({ param: { name: 'id', in: 'path' } }),
          affiliateId: z
            .string()
            .max(40)
            .openapi({ param: { name: 'affiliateId', in: 'path' } }),
        }),
        body: jsonBody(z.object({ percent: Percent.nullable() }).strict()),
      },
      responses: {
        200: json(
          z.object({ programId: z.string(), affiliateId: z.string(), percent: z.string().nullable(), effectiveFrom: z.string() }),
          'The rate',
        ),
        ...errorResponses(...authErrors, ...bodyErrors, 'not_found'),
      },
    }),
    async (c) => {
      const params = c.req.valid('param');
      const { percent } = c.req.valid('json');
      const program = await findOwnProgram(deps, c.get('principal'), parseId('program', params.id));
      const affiliateId = parseId('affiliate', params.affiliateId);
      const member =
        affiliateId === undefined
          ? undefined
          : await deps.db
              .selectFrom('program_affiliates')
              .select('affiliate_id')
              .where('program_id', '=', program.id)
              .where('affiliate_id', '=', affiliateId)
              .executeTakeFirst();
      if (!member) throw notFound('affiliate');
      const effectiveFrom = deps.clock.now().toISOString();
      await deps.db
        .insertInto('affiliate_rates')
        .values({
          program_id: program.id,
          affiliate_id: member.affiliate_id,
          effective_from: effectiveFrom,
          rate_bp: percent === null ? null : percentToBasisPoints(percent)!,
        })
        .onConflict((oc) =>
          oc
            .columns(['program_id', 'affiliate_id', 'effective_from'])
            .doUpdateSet({ rate_bp: percent === null ? null : percentToBasisPoints(percent)! }),
        )
        .execute();
      return c.json({ programId: params.id, affiliateId: params.affiliateId, percent, effectiveFrom }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/programs/{id}/plan/simulate',
      tags: ['commissions'],
      summary: "What-if: the period's orders under a proposed plan, per affiliate, next to the plans in force; writes nothing",
      security: bearer,
      middleware: [authorize('merchant')] as const,
      request: {
        params: z.object({
          id: z
            .string()
            .max(40)
            .openapi({ param: { name: 'id', in: 'path' } }),
        }),
        body: jsonBody(z.object({ plan: PlanSchema, from: z.iso.date(), to: z.iso.date() }).strict()),
      },
      responses: {
        200: json(
          z.record(z.string(), z.unknown()).openapi('PlanSimulation'),
          'Totals per affiliate: current, proposed, difference',
        ),
        ...errorResponses(...authErrors, ...bodyErrors, 'not_found'),
      },
    }),
    async (c) =>
      c.json(await simulatePlan(deps, c.get('principal'), parseId('program', c.req.valid('param').id), c.req.valid('json')), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/earnings',
      tags: ['commissions'],
      summary:
        'Your commission by currency: estimated (pending), held, settled (approved, not yet in a payout: carried over), inPayout (in a run not yet paid) and paid',
      security: bearer,
      middleware: [authorize('affiliate')] as const,
      responses: {
        200: json(
          z.object({
            balances: z.array(
              z.object({
                currency: z.string(),
                estimated: z.string(),
                held: z.string(),
                settled: z.string(),
                inPayout: z.string(),
                paid: z.string(),
              }),
            ),
          }),
          'Balances',
        ),
        ...errorResponses(...authErrors),
      },
    }),
    async (c) => {
      const inPayout = sql<string>`case when e.status = 'approved' and exists (select 1 from payout_entries p where p.entry_id = e.entry_id and p.active = 1) then 'inPayout' else e.status end`;
      const rows = await deps.db
        .selectFrom('ledger_entries as e')
        .select(['e.currency', inPayout.as('bucket'), (eb) => eb.fn.sum<number>('e.amount_minor').as('total')])
        .where('e.affiliate_id', '=', c.get('principal').affiliateId!)
        .groupBy(['e.currency', inPayout])
        .orderBy('e.currency')
        .execute();
      const byCurrency = new Map<string, Record<string, number>>();
      for (const r of rows) byCurrency.set(r.currency, { ...byCurrency.get(r.currency), [r.bucket]: Number(r.total) });
      const balances = [...byCurrency].map(([currency, sums]) => {
        const m = (minor = 0) => formatMoney({ minor, currency });
        return {
          currency,
          estimated: m(sums.pending),
          held: m(sums.held),
          settled: m(sums.approved),
          inPayout: m(sums.inPayout),
          paid: m(sums.paid),
        };
      });
      return c.json({ balances }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/admin/batch',
      tags: ['commissions'],
      summary: 'Run the commission batch now (it also runs every minute); asOf defaults to now and may not be in the future',
      security: bearer,
      middleware: [authorize('admin')] as const,
      request: {
        body: {
          required: false,
          content: { 'application/json': { schema: z.object({ asOf: z.iso.datetime({ offset: true }).optional() }).strict() } },
        },
      },
      responses: { 200: json(BatchReport, 'What the run did'), ...errorResponses(...authErrors, ...bodyErrors, 'conflict') },
    }),
    async (c) => {
      const body = (c.req.valid('json') as { asOf?: string } | undefined) ?? {};
      const now = deps.clock.now();
      const asOf = body.asOf ? new Date(body.asOf) : now;
      // A future asOf would approve commissions whose lock period has not passed.
      if (asOf.getTime() > now.getTime()) throw new AppError('validation_failed', 'asOf: must not be in the future');
      try {
        const run = () => runBatchJob(deps, asOf);
        const report = deps.exclusiveBatch ? await deps.exclusiveBatch(now, run) : await run();
        if (!report) throw new AppError('conflict', 'another batch run is in progress; try again when it ends');
        return c.json(report, 200);
      } catch (error) {
        if (error instanceof StaleAsOfError) throw new AppError('validation_failed', error.message);
        throw error;
      }
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
          200: json(
            z.object({ id: z.string(), review: z.enum(['released', 'rejected']) }),
            'Recorded; the next batch applies it',
          ),
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
        if (order.review !== null && order.review !== review)
          throw new AppError('conflict', `this order was already ${order.review}`);
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
