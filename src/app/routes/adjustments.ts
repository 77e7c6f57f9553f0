import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppDeps } from '../../core/deps';
import { AppError } from '../../core/errors';
import { parseCsvRows } from '../csv-upload';
import { parseId } from '../../domain/ids';
import type { AppEnv } from '../env';
import { decodeUtf8 } from '../utf8';
import { guarded } from './guarded';
import type { Authorize } from '../middleware/authorize';
import { authErrors, bearer, bodyErrors, CurrencySchema, errorResponses, json, jsonBody, pathId } from '../schemas/common';
import {
  type AdjustmentInput,
  BULK_MOST_ROWS,
  createAdjustment,
  createAdjustmentsInBulk,
  getAdjustment,
  reverseAdjustment,
} from '../../use-cases/adjustments';

const Adjustment = z
  .object({
    id: z.string().openapi({ example: 'adj_1' }),
    entryId: z.string().openapi({ description: 'its ledger entry (kind manual)', example: 'manual:1' }),
    programId: z.string(),
    affiliateId: z.string(),
    orderId: z.string().nullable(),
    amount: z.string().openapi({ example: '-12.50' }),
    currency: z.string(),
    reason: z.string(),
    reverses: z.string().nullable().openapi({ description: 'the adjustment this one undoes' }),
    reversedBy: z.string().nullable().openapi({ description: 'the adjustment that undid this one' }),
    author: z.object({ keyId: z.string(), role: z.string() }),
    status: z.string().openapi({ description: "its ledger entry's status: approved, then paid" }),
    createdAt: z.string(),
  })
  .openapi('Adjustment');

const AdjustmentBody = z
  .object({
    programId: z.string().max(40),
    affiliateId: z.string().max(40),
    amount: z.string().max(40).openapi({ description: 'a decimal string; negative takes back (a penalty)', example: '25.00' }),
    currency: CurrencySchema,
    reason: z.string().min(1).max(500),
    orderId: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .openapi({ description: "the order's external id, when the adjustment concerns one" }),
  })
  .strict();

const IdempotencyHeader = z.object({
  'idempotency-key': z
    .string()
    .max(200)
    .optional()
    .openapi({ description: 'a retry with the same key adds nothing and answers the adjustment made the first time' }),
});

const postAdjustmentsRoute = createRoute({
  method: 'post',
  path: '/v1/adjustments',
  tags: ['adjustments'],
  summary: 'Add a manual adjustment (a bonus, or a penalty when negative) to an affiliate in a program',
  description:
    'Appended to the ledger as an entry of kind manual, approved at once, with the author and the reason in its explanation; it is paid (or netted, when negative) by the next payout run. Never edited; undone with POST /v1/adjustments/{id}/reverse.',
  security: bearer,
  request: { headers: IdempotencyHeader, body: jsonBody(AdjustmentBody) },
  responses: {
    201: json(Adjustment, 'Made'),
    200: json(Adjustment, 'Already made under this Idempotency-Key; nothing new was written'),
    ...errorResponses(...authErrors, ...bodyErrors, 'not_found', 'conflict'),
  },
});

const postAdjustmentsBulkRoute = createRoute({
  method: 'post',
  path: '/v1/adjustments/bulk',
  tags: ['adjustments'],
  summary: 'Add many adjustments from a CSV upload, all or none',
  description: `A text/csv body with a header row: programId, affiliateId, amount, currency, reason, and optionally orderId and reference. Every row is checked before anything is written: any bad row and the answer is 422 naming every bad row's number (the header is row 1), and nothing is written. At most ${BULK_MOST_ROWS} rows. A row's reference, or the Idempotency-Key header with the row number, makes a re-upload add nothing twice.`,
  security: bearer,
  request: {
    headers: IdempotencyHeader,
    body: {
      required: true,
      content: {
        'text/csv': {
          schema: z
            .string()
            .openapi({ example: 'programId,affiliateId,amount,currency,reason\r\nprg_1,aff_2,25.00,EUR,spring bonus\r\n' }),
        },
      },
    },
  },
  responses: {
    201: json(
      z.object({ created: z.number(), existing: z.number(), adjustments: z.array(Adjustment) }),
      'Written (existing: rows an earlier upload had already made)',
    ),
    ...errorResponses(...authErrors, 'validation_failed', 'unsupported_media_type'),
  },
});

const getAdjustmentRoute = createRoute({
  method: 'get',
  path: '/v1/adjustments/{id}',
  tags: ['adjustments'],
  summary: 'An adjustment',
  security: bearer,
  request: { params: z.object({ id: pathId('id') }) },
  responses: { 200: json(Adjustment, 'The adjustment'), ...errorResponses(...authErrors, 'not_found') },
});

const reverseAdjustmentRoute = createRoute({
  method: 'post',
  path: '/v1/adjustments/{id}/reverse',
  tags: ['adjustments'],
  summary: 'Undo an adjustment with one of the opposite amount',
  description:
    'The original stays as it was; the reversal is a new adjustment (and ledger entry) naming it. Reversing again answers the same reversal (200) and writes nothing.',
  security: bearer,
  request: {
    params: z.object({ id: pathId('id') }),
    body: {
      required: false,
      content: { 'application/json': { schema: z.object({ reason: z.string().max(500).optional() }).strict() } },
    },
  },
  responses: {
    201: json(Adjustment, 'The reversal'),
    200: json(Adjustment, 'Already reversed: the reversal made before'),
    ...errorResponses(...authErrors, ...bodyErrors, 'not_found', 'conflict'),
  },
});

const COLUMNS = ['programId', 'affiliateId', 'amount', 'currency', 'reason', 'orderId', 'reference'] as const;
const REQUIRED = ['programId', 'affiliateId', 'amount', 'currency', 'reason'] as const;

/** The upload's rows as inputs; a file that is not the expected CSV is refused whole. */
function bulkRows(text: string): (AdjustmentInput & { reference?: string })[] {
  const rows = parseCsvRows(text);
  if (!rows || rows.length === 0) throw new AppError('validation_failed', 'the body is not a CSV file with a header row');
  const header = rows[0]!.map((h) => h.trim());
  const unknown = header.filter((h) => !(COLUMNS as readonly string[]).includes(h));
  if (unknown.length > 0)
    throw new AppError('validation_failed', `unknown columns: ${unknown.join(', ')}; expected ${COLUMNS.join(', ')}`);
  const missing = REQUIRED.filter((h) => !header.includes(h));
  if (missing.length > 0) throw new AppError('validation_failed', `missing columns: ${missing.join(', ')}`);
  const body = rows.slice(1).filter((r) => !(r.length === 1 && r[0]!.trim() === ''));
  const wrongWidth = body.map((r, i) => (r.length === header.length ? 0 : i + 2)).filter((n) => n > 0);
  if (wrongWidth.length > 0)
    throw new AppError(
      'validation_failed',
      `nothing was written; rows with ${header.length} cells expected: ${wrongWidth.map((n) => `row ${n}`).join(', ')}`,
    );
  return body.map((cells) => {
    const get = (name: string) => {
      const at = header.indexOf(name);
      return at < 0 ? undefined : cells[at]!.trim();
    };
    return {
      programId: get('programId')!,
      affiliateId: get('affiliateId')!,
      amount: get('amount')!,
      currency: get('currency')!,
      reason: get('reason')!,
      orderId: get('orderId') || undefined,
      reference: get('reference') || undefined,
    };
  });
}

export function registerAdjustmentRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps, authorize: Authorize) {
  const who = () => authorize('merchant', 'finance', 'admin');
  const origin = (c: Context<AppEnv>) => ({ clientAddress: deps.clientIp(c) });

  app.openapi(guarded(postAdjustmentsRoute, who()), async (c) => {
    const result = await createAdjustment(
      deps,
      c.get('principal'),
      origin(c),
      c.req.valid('json'),
      c.req.valid('header')['idempotency-key'],
    );
    // Its audit row was written in the adjustment's own unit of work.
    c.set('audited', true);
    return c.json(result.adjustment, result.created ? 201 : 200);
  });

  app.openapi(guarded(postAdjustmentsBulkRoute, who()), async (c) => {
    if (!/^text\/csv\b/i.test(c.req.header('content-type') ?? ''))
      throw new AppError('unsupported_media_type', 'send the adjustments as text/csv');
    const csv = decodeUtf8(await c.req.arrayBuffer());
    if (csv === undefined) throw new AppError('validation_failed', 'the file must be UTF-8');
    const result = await createAdjustmentsInBulk(
      deps,
      c.get('principal'),
      origin(c),
      bulkRows(csv),
      c.req.valid('header')['idempotency-key'],
    );
    c.set('audited', true);
    return c.json(result, 201);
  });

  app.openapi(guarded(getAdjustmentRoute, who()), async (c) =>
    c.json(await getAdjustment(deps, c.get('principal'), parseId('adjustment', c.req.valid('param').id)), 200),
  );

  app.openapi(guarded(reverseAdjustmentRoute, who()), async (c) => {
    let reason = '';
    if ((c.req.header('content-type') ?? '').includes('json')) reason = (c.req.valid('json') as { reason?: string }).reason ?? '';
    const result = await reverseAdjustment(
      deps,
      c.get('principal'),
      origin(c),
      parseId('adjustment', c.req.valid('param').id),
      reason,
    );
    c.set('audited', true);
    return c.json(result.adjustment, result.created ? 201 : 200);
  });
}
