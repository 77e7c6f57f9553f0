import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { formatId } from '../../domain/ids';
import { formatMoney } from '../../domain/money';
import { canonicalTimeZone } from '../../domain/time-zone';
import { GROUP_BY, MAX_REPORT_PAGE_ROWS } from '../../reports/summary-report';
import type { AppDeps } from '../../core/deps';
import type { AppEnv } from '../env';
import { AppError } from '../../core/errors';
import { guarded } from './guarded';
import type { Authorize } from '../middleware/authorize';
import { authErrors, bearer, errorResponses, json } from '../schemas/common';
import { reconciliationForCaller, summaryCsvForCaller, summaryForCaller } from '../../use-cases/reports';

/** Longest report range: a year and a day, so "the last 12 months" fits. */
const MAX_RANGE_DAYS = 366;
const DAY_MS = 24 * 3600 * 1000;

const DateParam = z.iso.date();
const id = (kind: string) =>
  z
    .string()
    .max(40)
    .openapi({ description: `a ${kind} id` });

/** Report parameters are an allow-list (strict): anything unknown or malformed is refused, never guessed. */
const SummaryQuery = z
  .object({
    from: DateParam.openapi({ description: 'first day, YYYY-MM-DD, in tz', example: '2026-11-01' }),
    to: DateParam.openapi({ description: 'last day (included), YYYY-MM-DD, in tz', example: '2026-11-30' }),
    tz: z.string().max(64).default('UTC').openapi({ description: 'IANA time zone the days are in', example: 'Europe/Berlin' }),
    groupBy: z.enum(GROUP_BY).default('day'),
    program: id('program').optional(),
    affiliate: id('affiliate').optional(),
    link: id('link').optional(),
    format: z
      .enum(['json', 'csv'])
      .default('json')
      .openapi({ description: 'csv: every row of the report, all pages, streamed (limit and after do not apply)' }),
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(MAX_REPORT_PAGE_ROWS)
      .default(MAX_REPORT_PAGE_ROWS)
      .openapi({ description: 'rows per page' }),
    after: z
      .string()
      .max(2000)
      .optional()
      .openapi({ description: "cursor: the previous page's next" }),
  })
  .strict();

const Row = z
  .object({
    key: z.string().openapi({ description: 'the group: a day, a public id, a sub-id or a dimension value ("" when none)' }),
    label: z.string().optional().openapi({ description: 'the affiliate, program or link name, for id groups' }),
    currency: z.string(),
    clicks: z.number().openapi({ description: 'human clicks: bots excluded' }),
    uniqueClicks: z.number(),
    orders: z.number().openapi({ description: 'attributed orders placed in the range, not cancelled or refunded in full' }),
    revenue: z.string().openapi({ description: "those orders' sales net of refunds" }),
    commission: z.string().openapi({ description: 'the sum of ledger entries, reversals and adjustments included' }),
    commissionEstimated: z.string().openapi({ description: 'pending and held entries' }),
    commissionSettled: z.string().openapi({ description: 'approved and paid entries' }),
    conversionRate: z.string().nullable().openapi({ description: 'orders ÷ clicks' }),
    epc: z.string().nullable().openapi({ description: 'earnings per click: commission ÷ clicks' }),
    costRatio: z.string().nullable().openapi({ description: 'commission ÷ revenue: what the merchant pays per unit of sales' }),
  })
  .openapi('ReportRow');

/**
 * Report days the stores can hold: ClickHouse's DateTime ends in 2106, so a day past that fails
 * inside the query; such a range is a caller's mistake (422), never "try again" (503).
 */
const FIRST_REPORT_DAY = '2000-01-01';
const LAST_REPORT_DAY = '2099-12-31';

function checkRange(from: string, to: string) {
  for (const [field, day] of [
    ['from', from],
    ['to', to],
  ] as const) {
    if (day < FIRST_REPORT_DAY || day > LAST_REPORT_DAY) {
      throw new AppError('validation_failed', `${field}: must be a day from ${FIRST_REPORT_DAY} to ${LAST_REPORT_DAY}`);
    }
  }
  const days = (Date.parse(to) - Date.parse(from)) / DAY_MS + 1;
  if (days < 1) throw new AppError('validation_failed', 'to: must not be before from');
  if (days > MAX_RANGE_DAYS) throw new AppError('validation_failed', `at most ${MAX_RANGE_DAYS} days per report`);
}

const getReportsSummaryRoute = createRoute({
  method: 'get',
  path: '/v1/reports/summary',
  tags: ['reports'],
  summary:
    'Clicks, orders, revenue and commission by day, affiliate, program, link, sub-id or visitor dimension (merchant: own programs; affiliate: own rows)',
  security: bearer,
  request: { query: SummaryQuery },
  responses: {
    200: {
      description: 'The report; text/csv with format=csv',
      content: {
        'application/json': {
          schema: z.object({
            from: z.string(),
            to: z.string(),
            tz: z.string(),
            groupBy: z.enum(GROUP_BY),
            rows: z.array(Row),
            next: z.string().nullable().openapi({ description: 'pass as after= for the next page; null on the last' }),
          }),
        },
        'text/csv': { schema: z.string() },
      },
    },
    ...errorResponses(...authErrors, 'validation_failed', 'not_found', 'unavailable', 'timeout'),
  },
});

const getReportsReconciliationRoute = createRoute({
  method: 'get',
  path: '/v1/reports/reconciliation',
  tags: ['reports'],
  summary:
    'Ledger totals per program, day and status in the SQL store against ClickHouse, and orders whose click id did not attribute',
  security: bearer,
  request: {
    query: z
      .object({
        from: DateParam.openapi({ description: 'first UTC day' }),
        to: DateParam.openapi({ description: 'last UTC day (included)' }),
        program: id('program').optional(),
      })
      .strict(),
  },
  responses: {
    200: json(
      z.object({
        from: z.string(),
        to: z.string(),
        mismatches: z.number(),
        changesInFlight: z.number().openapi({ description: 'changes not yet exported: the next batch sends them' }),
        ledger: z.array(
          z.object({
            program: z.string(),
            day: z.string(),
            status: z.string(),
            currency: z.string(),
            sqlAmount: z.string(),
            sqlEntries: z.number(),
            clickhouseAmount: z.string(),
            clickhouseEntries: z.number(),
            difference: z.string(),
            matches: z.boolean(),
          }),
        ),
        unattributedClicks: z.array(z.object({ program: z.string(), day: z.string(), reason: z.string(), orders: z.number() })),
      }),
      'The comparison; rows that differ have matches: false',
    ),
    ...errorResponses(...authErrors, 'validation_failed', 'not_found', 'unavailable', 'timeout'),
  },
});

export function registerReportRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps, authorize: Authorize) {
  app.openapi(guarded(getReportsSummaryRoute, authorize('merchant', 'affiliate')), async (c) => {
    const q = c.req.valid('query');
    checkRange(q.from, q.to);
    const tz = canonicalTimeZone(q.tz);
    if (tz === undefined) throw new AppError('validation_failed', `tz: unknown time zone ${q.tz}`);
    if (q.format === 'csv') {
      const body = await summaryCsvForCaller(deps, c.get('principal'), { ...q, tz });
      const name = `report-${q.groupBy}-${q.from}-${q.to}.csv`;
      return new Response(body, {
        status: 200,
        headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${name}"` },
      }) as never;
    }
    const page = await summaryForCaller(deps, c.get('principal'), { ...q, tz }, { limit: q.limit, after: q.after });
    return c.json({ from: q.from, to: q.to, tz, groupBy: q.groupBy, rows: page.rows, next: page.next }, 200);
  });

  app.openapi(guarded(getReportsReconciliationRoute, authorize('merchant')), async (c) => {
    const q = c.req.valid('query');
    checkRange(q.from, q.to);
    const result = await reconciliationForCaller(deps, c.get('principal'), q);
    return c.json(
      {
        from: q.from,
        to: q.to,
        mismatches: result.mismatches,
        changesInFlight: result.changesInFlight,
        ledger: result.ledger.map((r) => ({
          program: formatId('program', r.programId),
          day: r.day,
          status: r.status,
          currency: r.currency,
          sqlAmount: formatMoney({ minor: r.sqlMinor, currency: r.currency }),
          sqlEntries: r.sqlEntries,
          clickhouseAmount: formatMoney({ minor: r.clickhouseMinor, currency: r.currency }),
          clickhouseEntries: r.clickhouseEntries,
          difference: formatMoney({ minor: r.sqlMinor - r.clickhouseMinor, currency: r.currency }),
          matches: r.matches,
        })),
        unattributedClicks: result.unattributedClicks.map((u) => ({
          program: formatId('program', u.programId),
          day: u.day,
          reason: u.reason,
          orders: u.orders,
        })),
      },
      200,
    );
  });
}
