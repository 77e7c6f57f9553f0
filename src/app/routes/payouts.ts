import type { MiddlewareHandler } from 'hono';
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { parseId } from '../../domain/ids';
import { PAYOUT_FORMATS } from '../../payouts/payout-csv';
import { createPayout, getPayout, listPayouts, settlePayout } from '../../payouts/payout-runs';
import type { AppDeps } from '../../core/deps';
import type { AppEnv } from '../env';
import { guarded } from './guarded';
import type { Authorize } from '../middleware/authorize';
import { payoutFile } from '../../use-cases/payout-files';
import { Payout } from '../schemas/payout';
import { authErrors, bearer, bodyErrors, CurrencySchema, errorResponses, json, jsonBody, NoQuery } from '../schemas/common';

const PayoutDetail = Payout.extend({
  lines: z.array(z.object({ affiliateId: z.string(), currency: z.string(), amount: z.string(), entries: z.array(z.string()) })),
}).openapi('PayoutDetail');
const IdParam = z.object({
  id: z
    .string()
    .max(40)
    .openapi({ param: { name: 'id', in: 'path' }, example: 'pay_1' }),
});

const MinimumSchema = z.string().regex(/^(0|[1-9][0-9]*)(\.[0-9]+)?$/, 'must be a non-negative decimal string such as "50.00"');

const postPayoutsRoute = createRoute({
  method: 'post',
  path: '/v1/payouts',
  tags: ['payouts'],
  summary:
    "Create a payout run: approved, unpaid entries up to asOf, netted per affiliate and currency, where the net reaches that currency's minimum",
  description:
    'minimums gives each currency its own minimum, in that currency\'s precision ({"EUR":"25.00","JPY":"4000"}); minimumAmount with currency pays that one currency; minimumAmount alone applies in every currency whose precision holds it ("10.00" pays EUR and USD, and skips JPY as minimum_too_precise). Currencies left out are listed in skipped. A run that would pay nobody is refused with 422 nothing_to_pay and creates nothing.',
  security: bearer,
  request: {
    body: jsonBody(
      z
        .object({
          asOf: z.iso.datetime({ offset: true }),
          minimumAmount: MinimumSchema.optional(),
          currency: CurrencySchema.optional(),
          minimums: z
            .record(CurrencySchema, MinimumSchema)
            .optional()
            .openapi({ example: { EUR: '25.00', JPY: '4000' } }),
        })
        .strict(),
    ),
  },
  responses: {
    201: json(Payout, 'The run; its lines are at GET /v1/payouts/{id}'),
    ...errorResponses(...authErrors, ...bodyErrors, 'conflict', 'nothing_to_pay'),
  },
});

const getPayoutsRoute = createRoute({
  method: 'get',
  path: '/v1/payouts',
  tags: ['payouts'],
  summary: 'Payout runs, newest first',
  security: bearer,
  request: { query: NoQuery },
  responses: { 200: json(z.object({ payouts: z.array(Payout) }), 'Runs'), ...errorResponses(...authErrors, 'validation_failed') },
});

const getPayoutsByIdRoute = createRoute({
  method: 'get',
  path: '/v1/payouts/{id}',
  tags: ['payouts'],
  summary: 'A payout run with its lines and the ledger entries each line pays',
  security: bearer,
  request: { params: IdParam },
  responses: { 200: json(PayoutDetail, 'The run'), ...errorResponses(...authErrors, 'not_found') },
});

const getPayoutsCsvRoute = createRoute({
  method: 'get',
  path: '/v1/payouts/{id}/csv',
  tags: ['payouts'],
  summary:
    'The payout CSV: payout_id, affiliate_id, affiliate_name, email, currency, amount, entries, payout_method, payout_account',
  security: bearer,
  request: {
    params: IdParam,
    query: z
      .object({
        format: z.enum(PAYOUT_FORMATS).default('csv').openapi({
          description:
            'csv: every line; paypal: a PayPal Payouts upload (one currency, ≤ 5,000 rows, no header); wise: a Wise batch "send by email" file (≤ 1,000 rows). Provider files hold only affiliates paid that way.',
        }),
        currency: CurrencySchema.optional().openapi({ description: 'only this currency (a PayPal file must hold one)' }),
      })
      .strict(),
  },
  responses: {
    200: { description: 'text/csv', content: { 'text/csv': { schema: z.string() } } },
    ...errorResponses(...authErrors, 'not_found', 'validation_failed', 'nothing_to_pay'),
  },
});

const settlePayoutRoute = (action: 'paid' | 'failed' | 'cancel', outcome: 'paid' | 'failed' | 'cancelled') =>
  createRoute({
    method: 'post',
    path: `/v1/payouts/{id}/${action}`,
    tags: ['payouts'],
    summary:
      outcome === 'paid'
        ? 'Mark the run paid: its entries become paid'
        : outcome === 'failed'
          ? 'Mark the run failed: its entries return to the balance'
          : 'Cancel a run not yet paid: its entries return to the balance',
    security: bearer,
    request: { params: IdParam },
    responses: { 200: json(Payout, 'The run'), ...errorResponses(...authErrors, 'not_found', 'conflict') },
  });

/** The run's detail and its files are heavy requests: `heavy` limits how many one tenant runs at once. */
export function registerPayoutRoutes(
  app: OpenAPIHono<AppEnv>,
  deps: AppDeps,
  authorize: Authorize,
  heavy: MiddlewareHandler<AppEnv>,
) {
  app.openapi(guarded(postPayoutsRoute, authorize('finance')), async (c) =>
    c.json(await createPayout(deps, c.req.valid('json')), 201),
  );

  app.openapi(guarded(getPayoutsRoute, authorize('finance')), async (c) => c.json({ payouts: await listPayouts(deps) }, 200));

  app.openapi(guarded(getPayoutsByIdRoute, authorize('finance'), heavy), async (c) =>
    c.json(await getPayout(deps, parseId('payout', c.req.valid('param').id)), 200),
  );

  app.openapi(guarded(getPayoutsCsvRoute, authorize('finance'), heavy), async (c) => {
    const { format, currency } = c.req.valid('query');
    const file = await payoutFile(deps, parseId('payout', c.req.valid('param').id), format, currency);
    return new Response(file.body, {
      status: 200,
      headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${file.name}"` },
    }) as never;
  });

  for (const [action, outcome] of [
    ['paid', 'paid'],
    ['failed', 'failed'],
    ['cancel', 'cancelled'],
  ] as const) {
    app.openapi(guarded(settlePayoutRoute(action, outcome), authorize('finance')), async (c) =>
      c.json(await settlePayout(deps, parseId('payout', c.req.valid('param').id), outcome), 200),
    );
  }
}
