import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { formatId, parseId } from '../../domain/ids';
import { formatMoney } from '../../domain/money';
import { PAYOUT_FORMATS, payoutCsvStream, PROVIDER_ROW_LIMIT, providerFileShape } from '../../payouts/payout-csv';
import { createPayout, getPayout, listPayouts, settlePayout } from '../../payouts/payout-runs';
import type { AppDeps } from '../../core/deps';
import type { AppEnv } from '../env';
import { AppError, notFound } from '../../core/errors';
import type { Authorize } from '../middleware/authorize';
import { authErrors, bearer, bodyErrors, CurrencySchema, errorResponses, json, jsonBody } from '../schemas/common';

const Payout = z
  .object({
    id: z.string(),
    status: z.enum(['created', 'paid', 'failed', 'cancelled']),
    asOf: z.string(),
    minimumAmount: z.string(),
    currency: z.string().nullable(),
    affiliates: z.number(),
    total: z
      .record(z.string(), z.string())
      .openapi({ description: 'per currency; never a cross-currency sum', example: { EUR: '1234.50' } }),
    createdAt: z.string(),
    settledAt: z.string().nullable(),
  })
  .openapi('Payout');
const PayoutDetail = Payout.extend({
  lines: z.array(z.object({ affiliateId: z.string(), currency: z.string(), amount: z.string(), entries: z.array(z.string()) })),
}).openapi('PayoutDetail');
const IdParam = z.object({
  id: z
    .string()
    .max(40)
    .openapi({ param: { name: 'id', in: 'path' }, example: 'pay_1' }),
});

const PayoutDetails = z.union([
  z.object({ email: z.email().max(320) }).strict(),
  z
    .object({
      iban: z.string().regex(/^[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}$/, 'must be an IBAN without spaces'),
      accountHolder: z.string().trim().min(1).max(200),
    })
    .strict(),
]);

export function registerPayoutRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps, authorize: Authorize) {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/payouts',
      tags: ['payouts'],
      summary:
        'Create a payout run: approved, unpaid entries up to asOf, netted per affiliate and currency, where the net reaches minimumAmount',
      security: bearer,
      middleware: [authorize('finance')] as const,
      request: {
        body: jsonBody(
          z
            .object({
              asOf: z.iso.datetime({ offset: true }),
              minimumAmount: z
                .string()
                .regex(/^(0|[1-9][0-9]*)(\.[0-9]+)?$/, 'must be a non-negative decimal string such as "50.00"'),
              currency: CurrencySchema.optional(),
            })
            .strict(),
        ),
      },
      responses: {
        201: json(Payout, 'The run; its lines are at GET /v1/payouts/{id}'),
        ...errorResponses(...authErrors, ...bodyErrors, 'conflict'),
      },
    }),
    async (c) => c.json(await createPayout(deps, c.req.valid('json')), 201),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/payouts',
      tags: ['payouts'],
      summary: 'Payout runs, newest first',
      security: bearer,
      middleware: [authorize('finance')] as const,
      responses: { 200: json(z.object({ payouts: z.array(Payout) }), 'Runs'), ...errorResponses(...authErrors) },
    }),
    async (c) => c.json({ payouts: await listPayouts(deps) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/payouts/{id}',
      tags: ['payouts'],
      summary: 'A payout run with its lines and the ledger entries each line pays',
      security: bearer,
      middleware: [authorize('finance')] as const,
      request: { params: IdParam },
      responses: { 200: json(PayoutDetail, 'The run'), ...errorResponses(...authErrors, 'not_found') },
    }),
    async (c) => c.json(await getPayout(deps, parseId('payout', c.req.valid('param').id)), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/payouts/{id}/csv',
      tags: ['payouts'],
      summary:
        'The payout CSV: payout_id, affiliate_id, affiliate_name, email, currency, amount, entries, payout_method, payout_account',
      security: bearer,
      middleware: [authorize('finance')] as const,
      request: {
        params: IdParam,
        query: z.object({
          format: z.enum(PAYOUT_FORMATS).default('csv').openapi({
            description:
              'csv: every line; paypal: a PayPal Payouts upload (one currency, ≤ 5,000 rows, no header); wise: a Wise batch "send by email" file (≤ 1,000 rows). Provider files hold only affiliates paid that way.',
          }),
          currency: CurrencySchema.optional().openapi({ description: 'only this currency (a PayPal file must hold one)' }),
        }),
      },
      responses: {
        200: { description: 'text/csv', content: { 'text/csv': { schema: z.string() } } },
        ...errorResponses(...authErrors, 'not_found', 'validation_failed'),
      },
    }),
    async (c) => {
      const id = parseId('payout', c.req.valid('param').id);
      const { format, currency } = c.req.valid('query');
      const exists =
        id === undefined ? undefined : await deps.db.selectFrom('payouts').select('id').where('id', '=', id).executeTakeFirst();
      if (!exists) throw notFound('payout');
      if (format !== 'csv') {
        const shape = (await providerFileShape(deps.db, exists.id, format)).filter((s) => !currency || s.currency === currency);
        if (format === 'paypal' && shape.length > 1) {
          throw new AppError(
            'validation_failed',
            `a PayPal file holds one currency; add currency= one of ${shape.map((s) => s.currency).join(', ')}`,
          );
        }
        const lines = shape.reduce((n, s) => n + s.lines, 0);
        if (lines > PROVIDER_ROW_LIMIT[format]) {
          throw new AppError(
            'validation_failed',
            `${lines} lines are more than a ${format} file takes (${PROVIDER_ROW_LIMIT[format]})`,
          );
        }
      }
      const name = `payout-${formatId('payout', exists.id)}${format === 'csv' ? '' : `-${format}`}${currency ? `-${currency}` : ''}.csv`;
      return new Response(payoutCsvStream(deps, exists.id, format, currency), {
        status: 200,
        headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${name}"` },
      }) as never;
    },
  );

  for (const [action, outcome] of [
    ['paid', 'paid'],
    ['failed', 'failed'],
    ['cancel', 'cancelled'],
  ] as const) {
    app.openapi(
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
        middleware: [authorize('finance')] as const,
        request: { params: IdParam },
        responses: { 200: json(Payout, 'The run'), ...errorResponses(...authErrors, 'not_found', 'conflict') },
      }),
      async (c) => c.json(await settlePayout(deps, parseId('payout', c.req.valid('param').id), outcome), 200),
    );
  }

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/v1/affiliates/me',
      tags: ['payouts'],
      summary: 'Set how you are paid: PayPal or Wise by email, or a bank account by IBAN',
      security: bearer,
      middleware: [authorize('affiliate')] as const,
      request: {
        body: jsonBody(z.object({ payoutMethod: z.enum(['paypal', 'wise', 'bank']), payoutDetails: PayoutDetails }).strict()),
      },
      responses: {
        200: json(
          z.object({ id: z.string(), payoutMethod: z.string(), payoutDetails: z.record(z.string(), z.string()) }),
          'Saved',
        ),
        ...errorResponses(...authErrors, ...bodyErrors),
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      if ((body.payoutMethod === 'bank') !== 'iban' in body.payoutDetails) {
        throw new AppError(
          'validation_failed',
          body.payoutMethod === 'bank'
            ? 'payoutDetails: a bank payout needs iban and accountHolder'
            : 'payoutDetails: this method needs an email',
        );
      }
      const affiliateId = c.get('principal').affiliateId!;
      await deps.db
        .updateTable('affiliates')
        .set({ payout_method: body.payoutMethod, payout_details: JSON.stringify(body.payoutDetails) })
        .where('id', '=', affiliateId)
        .execute();
      return c.json(
        {
          id: formatId('affiliate', affiliateId),
          payoutMethod: body.payoutMethod,
          payoutDetails: body.payoutDetails as Record<string, string>,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/affiliates/me/payouts',
      tags: ['payouts'],
      summary: 'Your payouts, newest first',
      security: bearer,
      middleware: [authorize('affiliate')] as const,
      responses: {
        200: json(
          z.object({
            payouts: z.array(
              z.object({ id: z.string(), status: z.string(), currency: z.string(), amount: z.string(), createdAt: z.string() }),
            ),
          }),
          'Payouts',
        ),
        ...errorResponses(...authErrors),
      },
    }),
    async (c) => {
      const rows = await deps.db
        .selectFrom('payout_lines as l')
        .innerJoin('payouts as p', 'p.id', 'l.payout_id')
        .select(['p.id', 'p.status', 'p.created_at', 'l.currency', 'l.amount_minor'])
        .where('l.affiliate_id', '=', c.get('principal').affiliateId!)
        .orderBy('p.id', 'desc')
        .execute();
      return c.json(
        {
          payouts: rows.map((r) => ({
            id: formatId('payout', r.id),
            status: r.status,
            currency: r.currency,
            amount: formatMoney({ minor: r.amount_minor, currency: r.currency }),
            createdAt: r.created_at,
          })),
        },
        200,
      );
    },
  );
}
