import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { isValidRate } from '../../domain/fx';
import type { AppDeps } from '../../core/deps';
import type { AppEnv } from '../env';
import { guarded } from './guarded';
import type { Authorize } from '../middleware/authorize';
import { addFxRate, listFxRates } from '../../use-cases/fx-rates';
import { authErrors, bearer, bodyErrors, CurrencySchema, errorResponses, json, jsonBody, NoQuery } from '../schemas/common';

const FxRate = z
  .object({
    base: z.string(),
    quote: z.string(),
    rate: z.string().openapi({ description: '1 base = rate quote', example: '1.0834' }),
    source: z.string(),
    effectiveAt: z.string(),
  })
  .openapi('FxRate');

const postFxRatesRoute = createRoute({
  method: 'post',
  path: '/v1/fx-rates',
  tags: ['commissions'],
  summary: 'Add an exchange rate (never replaces one: a rate once stored is history)',
  security: bearer,
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
});

const getFxRatesRoute = createRoute({
  method: 'get',
  path: '/v1/fx-rates',
  tags: ['commissions'],
  summary: 'The stored exchange rates, oldest first',
  security: bearer,
  request: { query: NoQuery },
  responses: { 200: json(z.object({ rates: z.array(FxRate) }), 'Rates'), ...errorResponses(...authErrors, 'validation_failed') },
});

/**
 * Exchange rates for orders in another currency than their program's. Rates are only ever
 * added: an order converts at the rate in force when it was placed and keeps it (P18).
 */
export function registerFxRateRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps, authorize: Authorize) {
  app.openapi(guarded(postFxRatesRoute, authorize('admin', 'finance')), async (c) =>
    c.json(await addFxRate(deps, c.req.valid('json')), 201),
  );

  app.openapi(guarded(getFxRatesRoute, authorize('admin', 'finance', 'merchant')), async (c) =>
    c.json({ rates: await listFxRates(deps) }, 200),
  );
}
