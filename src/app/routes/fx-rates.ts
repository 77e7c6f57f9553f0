import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { isValidRate } from '../../domain/fx';
import type { AppDeps } from '../../core/deps';
import type { AppEnv } from '../env';
import { AppError } from '../../core/errors';
import type { Authorize } from '../middleware/authorize';
import { authErrors, bearer, bodyErrors, CurrencySchema, errorResponses, json, jsonBody } from '../schemas/common';

const FxRate = z
  .object({
    base: z.string(),
    quote: z.string(),
    rate: z.string().openapi({ description: '1 base = rate quote', example: '1.0834' }),
    source: z.string(),
    effectiveAt: z.string(),
  })
  .openapi('FxRate');

/**
 * Exchange rates for orders in another currency than their program's. Rates are only ever
 * added: an order converts at the rate in force when it was placed and keeps it (P18).
 */
export function registerFxRateRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps, authorize: Authorize) {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/fx-rates',
      tags: ['commissions'],
      summary: 'Add an exchange rate (never replaces one: a rate once stored is history)',
      security: bearer,
      middleware: [authorize('admin', 'finance')] as const,
      request: {
        body: jsonBody(
          z
            .object({
              base: CurrencySchema,
              quote: CurrencySchema,
              rate: z.string().refine(isValidRate, { message: 'must be a positive decimal string with at most 12 decimals' }),
              source: z.string().trim().min(1).max(200).openapi({ example: 'ECB reference rate' }),
              effectiveAt: z.iso.datetime({ offset: true }).optional().openapi({ description: 'defaults to now' }),
            })
            .strict()
            .refine((r) => r.base !== r.quote, { message: 'base and quote must differ' }),
        ),
      },
      responses: { 201: json(FxRate, 'Stored'), ...errorResponses(...authErrors, ...bodyErrors, 'conflict') },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const now = deps.clock.now().toISOString();
      const effectiveAt = body.effectiveAt ? new Date(body.effectiveAt).toISOString() : now;
      const inserted = await deps.db
        .insertInto('fx_rates')
        .values({
          base: body.base,
          quote: body.quote,
          effective_at: effectiveAt,
          rate: body.rate,
          source: body.source,
          created_at: now,
        })
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) {
        throw new AppError('conflict', `a ${body.base}/${body.quote} rate effective at ${effectiveAt} exists already`);
      }
      return c.json({ base: body.base, quote: body.quote, rate: body.rate, source: body.source, effectiveAt }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/fx-rates',
      tags: ['commissions'],
      summary: 'The stored exchange rates, oldest first',
      security: bearer,
      middleware: [authorize('admin', 'finance', 'merchant')] as const,
      responses: { 200: json(z.object({ rates: z.array(FxRate) }), 'Rates'), ...errorResponses(...authErrors) },
    }),
    async (c) => {
      const rows = await deps.db
        .selectFrom('fx_rates')
        .selectAll()
        .orderBy('effective_at')
        .orderBy('base')
        .orderBy('quote')
        .execute();
      return c.json(
        {
          rates: rows.map((r) => ({ base: r.base, quote: r.quote, rate: r.rate, source: r.source, effectiveAt: r.effective_at })),
        },
        200,
      );
    },
  );
}
