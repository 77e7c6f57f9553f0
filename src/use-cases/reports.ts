import { stringify } from 'csv-stringify/sync';
import { z } from 'zod';
import { ClickHouseError, type ReportStore } from '../clickhouse/clickhouse';
import type { AppDeps } from '../core/deps';
import { AppError, notFound } from '../core/errors';
import type { Principal } from '../core/principal';
import { timeSlice } from '../core/time-slice';
import { decodeBase64Url, encodeBase64Url } from '../domain/base64url';
import { dayAfter, startOfDay } from '../domain/calendar';
import { neutralizeCell } from '../domain/csv-cell';
import { formatId, type IdKind, parseId } from '../domain/ids';
import type { ReportRow } from '../domain/report-metrics';
import { wholeHourOffsets } from '../domain/time-zone';
import { type Reconciliation, reconcile } from '../reports/reconciliation';
import {
  GROUP_BY,
  type GroupBy,
  MAX_REPORT_PAGE_ROWS,
  type ReportCursor,
  ReportCursorError,
  summaryReport,
} from '../reports/summary-report';
import { jsonList } from '../store/json-list';

type ReportDeps = Pick<AppDeps, 'db' | 'reports' | 'config'>;

/** A report request's filters as sent: public ids, absent when not filtered. */
export interface ReportFilters {
  program?: string | undefined;
  affiliate?: string | undefined;
  link?: string | undefined;
}

export interface SummaryRequest extends ReportFilters {
  from: string;
  to: string;
  tz: string;
  groupBy: GroupBy;
}

export type LabelledReportRow = ReportRow & { label?: string };

/**
 * The summary report a caller may see, a page at a time: a merchant's own programs, an
 * affiliate's own rows. `after` is the `next` the previous page answered (opaque text);
 * the page's `next` is null on the last.
 */
export async function summaryForCaller(
  deps: ReportDeps,
  principal: Principal,
  q: SummaryRequest,
  page: { limit: number; after?: string | undefined } = { limit: MAX_REPORT_PAGE_ROWS },
): Promise<{ rows: LabelledReportRow[]; next: string | null }> {
  const reports = requireReports(deps);
  const after = page.after === undefined ? null : decodeCursor(page.after);
  const scoped = await scope(
    deps,
    principal,
    filterId('program', q.program),
    filterId('affiliate', q.affiliate),
    filterId('link', q.link),
  );
  const query = {
    from: q.from,
    to: q.to,
    tz: q.tz,
    groupBy: q.groupBy,
    ...scoped,
    wholeHourZone: wholeHourOffsets(q.tz, new Date(startOfDay(q.from)), new Date(dayAfter(q.to))),
    maxExecutionSeconds: deps.config.reportTimeoutSeconds ?? 10,
  };
  const result = await fromClickHouse(() => summaryReport(reports.clickhouse, query, { limit: page.limit, after }));
  return { rows: await labelled(deps, q.groupBy, result.rows), next: result.next === null ? null : encodeCursor(result.next) };
}

export const REPORT_CSV_COLUMNS = [
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

function reportCsv(rows: LabelledReportRow[], header: boolean): string {
  return stringify(
    rows.map((r) => ({ ...r, key: neutralizeCell(r.key), label: neutralizeCell(r.label ?? '') })),
    { header, columns: [...REPORT_CSV_COLUMNS], record_delimiter: '\r\n' },
  );
}

/**
 * The whole report as CSV, every page of it. The first page is read before this returns, so a
 * refused or failed report is still an error answer; the rest stream a page at a time. A store
 * failure after the first page can only cut the file short (the status is sent).
 */
export async function summaryCsvForCaller(deps: ReportDeps, principal: Principal, q: SummaryRequest) {
  const first = await summaryForCaller(deps, principal, q);
  const encoder = new TextEncoder();
  let next = first.next;
  let pending: string | null = reportCsv(first.rows, true);
  const slice = timeSlice();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (pending !== null) {
        controller.enqueue(encoder.encode(pending));
        pending = null;
        if (next === null) controller.close();
        return;
      }
      await slice.pause();
      const page = await summaryForCaller(deps, principal, q, { limit: MAX_REPORT_PAGE_ROWS, after: next! });
      controller.enqueue(encoder.encode(reportCsv(page.rows, false)));
      next = page.next;
      if (next === null) controller.close();
    },
  });
}

function encodeCursor(cursor: ReportCursor): string {
  return encodeBase64Url(new TextEncoder().encode(JSON.stringify([cursor.groupBy, cursor.key, cursor.currency])));
}

const CursorTuple = z.tuple([z.enum(GROUP_BY), z.string(), z.string()]);

function decodeCursor(text: string): ReportCursor {
  const bytes = decodeBase64Url(text);
  let parsed: unknown;
  try {
    parsed = bytes === undefined ? undefined : JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    parsed = undefined;
  }
  const tuple = CursorTuple.safeParse(parsed);
  if (!tuple.success) throw new AppError('validation_failed', "after: not a cursor of this report (pass the previous page's next)");
  const [groupBy, key, currency] = tuple.data;
  return { groupBy, key, currency };
}

/** The SQL ledger against ClickHouse for a merchant's own programs (or the one filtered). */
export async function reconciliationForCaller(
  deps: ReportDeps,
  principal: Principal,
  q: { from: string; to: string; program?: string | undefined },
): Promise<Reconciliation> {
  const reports = requireReports(deps);
  const { programIds } = await scope(deps, principal, filterId('program', q.program), null, null);
  return fromClickHouse(() =>
    reconcile(deps.db, reports.clickhouse, reports.targetId, { programIds: programIds ?? [], from: q.from, to: q.to }),
  );
}

function requireReports(deps: ReportDeps): ReportStore {
  if (!deps.reports) throw new AppError('unavailable', 'reports need ClickHouse, and none is configured');
  return deps.reports;
}

/** ClickHouse failures leave as 504/503 with the envelope: a report is never silently empty. */
async function fromClickHouse<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof ReportCursorError) throw new AppError('validation_failed', error.message);
    if (error instanceof ClickHouseError) {
      if (error.failure === 'timeout')
        throw new AppError('timeout', 'the report took longer than its time limit; narrow the dates or add a filter');
      throw new AppError('unavailable', 'the report store (ClickHouse) failed to answer; try again');
    }
    throw error;
  }
}

function filterId(kind: IdKind, text: string | undefined): number | null {
  if (text === undefined) return null;
  const parsed = parseId(kind, text);
  if (parsed === undefined) throw new AppError('validation_failed', `${kind}: not a ${kind} id`);
  return parsed;
}

/** A filter id that names nothing this caller may see is a 404, like any other tenant's object. */
async function scope(
  deps: Pick<AppDeps, 'db'>,
  principal: Principal,
  programFilter: number | null,
  affiliateFilter: number | null,
  linkFilter: number | null,
) {
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
async function labelled(deps: Pick<AppDeps, 'db'>, groupBy: GroupBy, rows: ReportRow[]): Promise<LabelledReportRow[]> {
  const kinds: Partial<Record<GroupBy, IdKind>> = { affiliate: 'affiliate', program: 'program', link: 'link' };
  const kind = kinds[groupBy];
  if (!kind) return rows;
  const ids = [...new Set(rows.map((r) => Number(r.key)))];
  const names = new Map<number, string>();
  if (ids.length > 0) {
    const found =
      kind === 'affiliate'
        ? await deps.db.selectFrom('affiliates').select(['id', 'name']).where('id', 'in', jsonList(ids)).execute()
        : kind === 'program'
          ? await deps.db.selectFrom('programs').select(['id', 'name']).where('id', 'in', jsonList(ids)).execute()
          : await deps.db.selectFrom('links').select(['id', 'code as name']).where('id', 'in', jsonList(ids)).execute();
    for (const f of found) names.set(f.id, f.name);
  }
  return rows.map((r) => ({
    ...r,
    key: Number(r.key) === 0 ? '' : formatId(kind, Number(r.key)),
    label: names.get(Number(r.key)) ?? '',
  }));
}
