import type { Context, Hono } from 'hono';
import type { AppEnv } from '../env';
import { query, type ApiClient } from './api-client';
import { dateParam, type PageContext, type PageRunner } from './page-runner';
import { BREAKDOWNS, type Breakdown, DailyChart, type ReportRow, ReportTable } from './report-views';

const BREAKDOWN_TITLES: Record<Breakdown, string> = {
  affiliate: 'Affiliate',
  link: 'Link',
  program: 'Program',
  sub1: 'Sub-id 1',
  sub2: 'Sub-id 2',
  sub3: 'Sub-id 3',
  sub4: 'Sub-id 4',
  sub5: 'Sub-id 5',
  country: 'Country',
  device: 'Device',
};

/** Offered in the picker; any other IANA name typed in works too (the API checks it). */
const TIME_ZONES = [
  'UTC',
  'Europe/Berlin',
  'Europe/London',
  'America/New_York',
  'America/Los_Angeles',
  'Asia/Kolkata',
  'Asia/Tokyo',
];

export interface ReportSelection {
  from: string;
  to: string;
  /** IANA zone the days are in (the API's tz). */
  tz: string;
  program?: string;
  by: Breakdown;
}

export function reportSelection(c: Context, p: PageContext, fallbackBy: Breakdown): ReportSelection {
  const by = c.req.query('by');
  const program = c.req.query('program');
  return {
    from: dateParam(c, 'from', p.monthAgo),
    to: dateParam(c, 'to', p.today),
    program: program ? program : undefined,
    tz: c.req.query('tz') || 'UTC',
    by: (BREAKDOWNS as readonly string[]).includes(by ?? '') ? (by as Breakdown) : fallbackBy,
  };
}

/** Both reports a page shows, read from GET /v1/reports/summary: the API scopes them to the key. */
export async function loadReports(api: ApiClient, s: ReportSelection) {
  const base = { from: s.from, to: s.to, tz: s.tz, program: s.program };
  const [days, breakdown] = await Promise.all([
    api.get<{ rows: ReportRow[] }>(`/v1/reports/summary${query({ ...base, groupBy: 'day' })}`),
    api.get<{ rows: ReportRow[] }>(`/v1/reports/summary${query({ ...base, groupBy: s.by })}`),
  ]);
  return { days: days.rows, breakdown: breakdown.rows };
}

/** Chart, breakdown table with its CSV, and the table by day: the report section of both overviews. */
export function ReportSection(props: {
  action: string;
  s: ReportSelection;
  days: ReportRow[];
  breakdown: ReportRow[];
  breakdowns: readonly Breakdown[];
  /** Chart estimated and settled commission as two lines (affiliates) instead of the total. */
  split?: boolean;
  programs: { id: string; name: string }[];
}) {
  const { s } = props;
  const csv = (groupBy: string) => `/app/report.csv${query({ from: s.from, to: s.to, tz: s.tz, program: s.program, groupBy })}`;
  return (
    <>
      <section aria-labelledby="range-h">
        <h2 id="range-h">Range</h2>
        <form class="inline" method="get" action={props.action} aria-label="Report range and breakdown">
          <label>
            From
            <input type="date" name="from" value={s.from} required />
          </label>
          <label>
            To
            <input type="date" name="to" value={s.to} required />
          </label>
          <label>
            Time zone
            <input type="text" name="tz" value={s.tz} list="time-zones" size={16} maxlength={64} autocomplete="off" />
          </label>
          <datalist id="time-zones">
            {TIME_ZONES.map((zone) => (
              <option value={zone} />
            ))}
          </datalist>
          <label>
            Program
            <select name="program">
              <option value="">All programs</option>
              {props.programs.map((program) => (
                <option value={program.id} selected={program.id === s.program}>
                  {program.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            Breakdown
            <select name="by">
              {props.breakdowns.map((b) => (
                <option value={b} selected={b === s.by}>
                  {BREAKDOWN_TITLES[b]}
                </option>
              ))}
            </select>
          </label>
          <button type="submit">Apply</button>
        </form>
      </section>
      <section aria-labelledby="chart-h">
        <h2 id="chart-h">Clicks, orders and commission per day</h2>
        <DailyChart rows={props.days} id="daily-chart" split={props.split} />
      </section>
      <section aria-labelledby="breakdown-h">
        <h2 id="breakdown-h">By {BREAKDOWN_TITLES[s.by].toLowerCase()}</h2>
        <p>
          <a href={csv(s.by)} download>
            Download CSV (by {BREAKDOWN_TITLES[s.by].toLowerCase()})
          </a>
        </p>
        <ReportTable rows={props.breakdown} keyTitle={BREAKDOWN_TITLES[s.by]} testId="breakdown-table" />
      </section>
      <section aria-labelledby="days-h">
        <h2 id="days-h">By day</h2>
        <p>
          <a href={csv('day')} download>
            Download CSV (by day)
          </a>
        </p>
        <ReportTable rows={props.days} keyTitle="Day" testId="day-table" />
      </section>
    </>
  );
}

/** The report's own CSV (format=csv), passed through byte for byte, for merchants and affiliates. */
export function registerReportDownload(router: Hono<AppEnv>, run: PageRunner) {
  router.get(
    '/app/report.csv',
    run.page(['merchant', 'affiliate'], async (c, p) => {
      const groupBy = c.req.query('groupBy') ?? 'day';
      const response = await p.api.raw(
        `/v1/reports/summary${query({ from: dateParam(c, 'from', p.monthAgo), to: dateParam(c, 'to', p.today), tz: c.req.query('tz'), program: c.req.query('program'), groupBy, format: 'csv' })}`,
      );
      const headers = new Headers({
        'content-type': response.headers.get('content-type') ?? 'text/csv; charset=utf-8',
        'cache-control': 'no-store',
      });
      headers.set(
        'content-disposition',
        response.headers.get('content-disposition') ?? `attachment; filename="report-${groupBy}.csv"`,
      );
      return new Response(response.body, { status: 200, headers });
    }),
  );
}
