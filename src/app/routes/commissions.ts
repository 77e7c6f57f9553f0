import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { AppDeps } from '../../core/deps';
import { AppError } from '../../core/errors';
import { parseId } from '../../domain/ids';
import { LEDGER_KINDS, LEDGER_STATUSES } from '../../domain/ledger';
import { commissionsCsvStream, listCommissions } from '../../use-cases/commission-list';
import type { AppEnv } from '../env';
import type { Authorize } from '../middleware/authorize';
import { authErrors, bearer, CurrencySchema, errorResponses, PageQuery } from '../schemas/common';
import { CommissionEntry } from '../schemas/ledger';
import { guarded } from './guarded';

const DateParam = z.iso.date();

const getCommissionsRoute = createRoute({
  method: 'get',
  path: '/v1/commissions',
  tags: ['commissions'],
  summary:
    "Ledger entries: a merchant's programs', an affiliate's own (no customer data), every one for finance and admin; filtered, paged with a cursor, or all as CSV",
  security: bearer,
  request: {
    query: PageQuery.extend({
      programId: z.string().max(40).optional(),
      affiliateId: z
        .string()
        .max(40)
        .optional()
        .openapi({ description: "only this affiliate's entries (an affiliate key sees only its own anyway)" }),
      orderId: z.string().max(128).optional().openapi({ description: "the shop's order id" }),
      status: z.enum(LEDGER_STATUSES).optional(),
      kind: z.enum(LEDGER_KINDS).optional(),
      currency: CurrencySchema.optional(),
      dateBy: z
        .enum(['entry', 'lock'])
        .default('entry')
        .openapi({ description: "what from/to bound: the entry's date, or its order's lock date (completion + lock days)" }),
      from: DateParam.optional().openapi({ description: 'on or after this day (UTC)' }),
      to: DateParam.optional().openapi({ description: 'on or before this day (UTC)' }),
      format: z
        .enum(['json', 'csv'])
        .default('json')
        .openapi({ description: 'csv: every matching entry from `after` on, streamed (limit does not apply)' }),
    }).strict(),
  },
  responses: {
    200: {
      description: 'A page of entries, oldest first; text/csv with format=csv',
      content: {
        'application/json': {
          schema: z.object({
            commissions: z.array(CommissionEntry),
            next: z.string().nullable().openapi({ description: 'pass as after= for the next page; null on the last' }),
          }),
        },
        'text/csv': { schema: z.string() },
      },
    },
    ...errorResponses(...authErrors, 'validation_failed'),
  },
});

function optionalId(kind: 'program' | 'affiliate', field: string, text: string | undefined) {
  if (text === undefined) return undefined;
  const id = parseId(kind, text);
  if (id === undefined) throw new AppError('validation_failed', `${field}: not a ${kind} id`);
  return id;
}

/** The commission list; a CSV of many entries counts as a heavy request, a page of JSON does not. */
export function registerCommissionRoutes(
  app: OpenAPIHono<AppEnv>,
  deps: AppDeps,
  authorize: Authorize,
  heavy: MiddlewareHandler<AppEnv>,
) {
  const heavyWhenCsv: MiddlewareHandler<AppEnv> = (c, next) => (c.req.query('format') === 'csv' ? heavy(c, next) : next());
  app.openapi(
    guarded(getCommissionsRoute, authorize('merchant', 'affiliate', 'finance', 'admin'), heavyWhenCsv),
    async (c) => {
      const q = c.req.valid('query');
      if (q.after !== undefined && !/^[0-9]{1,15}$/.test(q.after)) {
        throw new AppError('validation_failed', 'after: not a cursor from this list (pass the previous page\'s next)');
      }
      if (q.from !== undefined && q.to !== undefined && q.to < q.from) {
        throw new AppError('validation_failed', 'to: must not be before from');
      }
      const filter = {
        programId: optionalId('program', 'programId', q.programId),
        affiliateId: optionalId('affiliate', 'affiliateId', q.affiliateId),
        orderId: q.orderId,
        status: q.status,
        kind: q.kind,
        currency: q.currency,
        dateBy: q.dateBy,
        from: q.from,
        to: q.to,
      };
      const after = q.after === undefined ? undefined : Number(q.after);
      const principal = c.get('principal');
      if (q.format === 'csv') {
        return new Response(commissionsCsvStream(deps, principal, filter, after), {
          status: 200,
          headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="commissions.csv"' },
        }) as never;
      }
      return c.json(await listCommissions(deps, principal, filter, { limit: q.limit, after }), 200);
    },
  );
}
