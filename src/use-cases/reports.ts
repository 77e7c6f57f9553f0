import { ClickHouseError, type ReportStore } from '../clickhouse/clickhouse';
import type { AppDeps } from '../core/deps';
import { AppError, notFound } from '../core/errors';
import type { Principal } from '../core/principal';
import { dayAfter, startOfDay } from '../domain/calendar';
import { formatId, type IdKind, parseId } from '../domain/ids';
import type { ReportRow } from '../domain/report-metrics';
import { wholeHourOffsets } from '../domain/time-zone';
import { type Reconciliation, reconcile } from '../reports/reconciliation';
import { type GroupBy, ReportTooLargeError, summaryReport } from '../reports/summary-report';
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

/** The summary report a caller may see: a merchant's own programs, an affiliate's own rows. */
export async function summaryForCaller(deps: ReportDeps, principal: Principal, q: SummaryRequest): Promise<LabelledReportRow[]> {
  const reports = requireReports(deps);
  const scoped = await scope(
    deps,
    principal,
    filterId('program', q.program),
    filterId('affiliate', q.affiliate),
    filterId('link', q.link),
  );
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
  return labelled(deps, q.groupBy, rows);
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
    if (error instanceof ReportTooLargeError) throw new AppError('validation_failed', error.message);
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
