import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { stringify } from 'csv-stringify/sync';
import type { Context } from 'hono';
import { ClickHouseError, type ReportStore } from '../../clickhouse/clickhouse';
import { dayAfter, startOfDay } from '../../domain/calendar';
import { formatId, type IdKind, parseId } from '../../domain/ids';
import { formatMoney } from '../../domain/money';
import type { ReportRow } from '../../domain/report-metrics';
import { isTimeZone, wholeHourOffsets } from '../../domain/time-zone';
import { neutralizeCell } from '../../domain/csv-cell';
import { jsonList } from '../../store/json-list';
import { reconcile } from '../../reports/reconciliation';
import { GROUP_BY, type GroupBy, ReportTooLargeError, summaryReport } from '../../reports/summary-report';
import type { AppDeps } from '../../core/deps';
import type { AppEnv } from '../env';
import { AppError, notFound } from '../../core/errors';
import type { Authorize } from '../middleware/authorize';
import { authErrors, bearer, errorResponses, json } from '../schemas/common';

/** Longest report range: a year and a day, so "the last 12 months" fits. */
const MAX_RANGE_DAYS = 366;
const DAY_MS = 24 * 3600 * 1000;

const DateParam = z.iso.date();
const id = (kind: string) =>
  z
    .string()
    .max(40)
    .openapi({ description: `a ${kind} id` });

const SummaryQuery = z
  .object({
    from: DateParam.openapi({ description: 'first day, YYYY-MM-DD, in tz', example: '2026-11-01' }),
    to: DateParam.openapi({ description: 'last day (included), YYYY-MM-DD, in tz', example: '2026-11-30' }),
    tz: z.string().max(64).default('UTC').openapi({ description: 'IANA time zone the days are in', example: 'Europe/Berlin' }),
    groupBy: z.enum(GROUP_BY).default('day'),
    program: id('program').optional(),
    affiliate: id('affiliate').optional(),
    link: id('link').optional(),
    format: z.enum(['json', 'csv']).default('json'),
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

const CSV_COLUMNS = [
  'key',
  'label',
  'currency',
  'clicks',
  'uniqueClicks',
  'orders',
  'revenue',
  'commission',
  'commissionEstimated',
  'commissionSettled',
  'conversionRate',
  'epc',
  'costRatio',
] as const;

/** Report parameters are an allow-list: anything unknown or malformed is a 400, never a guess. */
function badQuery(result: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }): undefined {
  if (result.success) return undefined;
  const issue = result.error?.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  throw new AppError('bad_request', `${where}${issue?.message ?? 'invalid query'}`);
}

function requireReports(deps: AppDeps): ReportStore {
  if (!deps.reports) throw new AppError('unavailable', 'reports need ClickHouse, and none is configured');
  return deps.reports;
}

/** ClickHouse failures leave as 504/503 with the envelope: a report is never silently empty. */
async function fromClickHouse<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof ReportTooLargeError) throw new AppError('bad_request', error.message);
    if (error instanceof ClickHouseError) {
      if (error.failure === 'timeout')
        throw new AppError('timeout', 'the report took longer than its time limit; narrow the dates or add a filter');
      throw new AppError('unavailable', 'the report store (ClickHouse) failed to answer; try again');
    }
    throw error;
  }
}

function checkRange(from: string, to: string) {
  const days = (Date.parse(to) - Date.parse(from)) / DAY_MS + 1;
  if (days < 1) throw new AppError('bad_request', 'to: must not be before from');
  if (days > MAX_RANGE_DAYS) throw new AppError('bad_request', `at most ${MAX_RANGE_DAYS} days per report`);
}

export function registerReportRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps, authorize: Authorize) {
  /** A filter id that names nothing this caller may see is a 404, like any other tenant's object. */
  function filterId(kind: IdKind, text: string | undefined): number | null {
    if (text === undefined) return null;
    const parsed = parseId(kind, text);
    if (parsed === undefined) throw new AppError('bad_request', `${kind}: not a ${kind} id`);
    return parsed;
  }

  async function scope(
    c: Context<AppEnv>,
    programFilter: number | null,
    affiliateFilter: number | null,
    linkFilter: number | null,
  ) {
    const principal = c.get('principal');
    let programIds: number[] | null;
    let affiliateId = affiliateFilter;
    if (principal.role === 'merchant') {
      const own = await deps.db.selectFrom('programs').select('id').where('merchant_id', '=', principal.merchantId!).execute();
      programIds = own.map((p) => p.id);
      if (programFilter !== null) {
        if (!programIds.includes(programFilter)) throw notFound('program');
        programIds = [programFilter];
      }
      if (affiliateFilter !== null) {
        const member = await deps.db
          .selectFrom('program_affiliates')
          .select('affiliate_id')
          .where('affiliate_id', '=', affiliateFilter)
          .where('program_id', 'in', jsonList(programIds))
          .executeTakeFirst();
        if (!member) throw notFound('affiliate');
      }
      if (linkFilter !== null) {
        const link = await deps.db
          .selectFrom('links')
          .select('id')
          .where('id', '=', linkFilter)
          .where('program_id', 'in', jsonList(programIds))
          .executeTakeFirst();
        if (!link) throw notFound('link');
      }
    } else {
      // An affiliate sees its own rows only: any other affiliate is "not found".
      if (affiliateFilter !== null && affiliateFilter !== principal.affiliateId) throw notFound('affiliate');
      affiliateId = principal.affiliateId!;
      programIds = programFilter === null ? null : [programFilter];
      if (linkFilter !== null) {
        const link = await deps.db
          .selectFrom('links')
          .select('id')
          .where('id', '=', linkFilter)
          .where('affiliate_id', '=', affiliateId)
          .executeTakeFirst();
        if (!link) throw notFound('link');
      }
    }
    return { programIds, affiliateId, linkId: linkFilter };
  }

  /** Names for id groups, read from the SQL store for just the keys in the report. */
  async function labelled(groupBy: GroupBy, rows: ReportRow[]): Promise<(ReportRow & { label?: string })[]> {
    const kinds: Partial<Record<GroupBy, IdKind>> = { affiliate: 'affiliate', program: 'program', link: 'link' };
    const kind = kinds[groupBy];
    if (!kind) return rows;
    const ids = [...new Set(rows.map((r) => Number(r.key)))];
    const names = new Map<number, string>();
    if (ids.length > 0) {
      const found =
        kind === 'affiliate'
          ? await deps.db.selectFrom('affiliates').select(['id', 'name']).where('id', 'in', ids).execute()
          : kind === 'program'
            ? await deps.db.selectFrom('programs').select(['id', 'name']).where('id', 'in', ids).execute()
            : await deps.db.selectFrom('links').select(['id', 'code as name']).where('id', 'in', ids).execute();
      for (const f of found) names.set(f.id, f.name);
    }
    return rows.map((r) => ({
      ...r,
      key: Number(r.key) === 0 ? '' : formatId(kind, Number(r.key)),
      label: names.get(Number(r.key)) ?? '',
    }));
  }

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/reports/summary',
      tags: ['reports'],
      summary:
        'Clicks, orders, revenue and commission by day, affiliate, program, link, sub-id or visitor dimension (merchant: own programs; affiliate: own rows)',
      security: bearer,
      middleware: [authorize('merchant', 'affiliate')] as const,
      request: { query: SummaryQuery },
      responses: {
        200: {
          description: 'The report; text/csv with format=csv',
          content: {
            'application/json': {
              schema: z.object({ from: z.string(), to: z.string(), tz: z.string(), groupBy: z.string(), rows: z.array(Row) }),
            },
            'text/csv': { schema: z.string() },
          },
        },
        ...errorResponses(...authErrors, 'bad_request', 'not_found', 'unavailable', 'timeout'),
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      checkRange(q.from, q.to);
      if (!isTimeZone(q.tz)) throw new AppError('bad_request', `tz: unknown time zone ${q.tz}`);
      const reports = requireReports(deps);
      const scoped = await scope(c, filterId('program', q.program), filterId('affiliate', q.affiliate), filterId('link', q.link));
      const rows = await fromClickHouse(() =>
        summaryReport(reports.clickhouse, {
          from: q.from,
          to: q.to,
          tz: q.tz,
          groupBy: q.groupBy,
          ...scoped,
          wholeHourZone: wholeHourOffsets(q.tz, new Date(startOfDay(q.from)), new Date(dayAfter(q.to))),
          maxExecutionSeconds: deps.config.reportTimeoutSeconds ?? 10,
        }),
      );
      const result = await labelled(q.groupBy, rows);
      if (q.format === 'csv') {
        const text = stringify(
          result.map((r) => ({ ...r, key: neutralizeCell(r.key), label: neutralizeCell(r.label ?? '') })),
          { header: true, columns: [...CSV_COLUMNS], record_delimiter: '\r\n' },
        );
        const name = `report-${q.groupBy}-${q.from}-${q.to}.csv`;
        return c.body(text, 200, {
          'content-type': 'text/csv; charset=utf-8',
          'content-disposition': `attachment; filename="${name}"`,
        }) as never;
      }
      return c.json({ from: q.from, to: q.to, tz: q.tz, groupBy: q.groupBy, rows: result }, 200);
    },
    badQuery,
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/reports/reconciliation',
      tags: ['reports'],
      summary:
        'Ledger totals per program, day and status in the SQL store against ClickHouse, and orders whose click id did not attribute',
      security: bearer,
      middleware: [authorize('merchant')] as const,
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
            unattributedClicks: z.array(
              z.object({ program: z.string(), day: z.string(), reason: z.string(), orders: z.number() }),
            ),
          }),
          'The comparison; rows that differ have matches: false',
        ),
        ...errorResponses(...authErrors, 'bad_request', 'not_found', 'unavailable', 'timeout'),
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      checkRange(q.from, q.to);
      const reports = requireReports(deps);
      const { programIds } = await scope(c, filterId('program', q.program), null, null);
      const result = await fromClickHouse(() =>
        reconcile(deps.db, reports.clickhouse, reports.targetId, { programIds: programIds ?? [], from: q.from, to: q.to }),
      );
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
    },
    badQuery,
  );
}
