import type { Context, Hono } from 'hono';
import type { AppEnv } from '../env';
import { ApiCallError, query, type ApiClient } from './api-client';
import { type ChartDay, DayCharts } from './chart';
import { Card, Field, type Kpi, Kpis } from './components';
import type { Formatter } from './format';
import { dateParam, type PageContext, type PageRunner } from './page-runner';
import { presets, previousPeriod, totals } from './report-range';
import { BREAKDOWNS, chartDays, type ReportRow, ReportTable } from './report-views';

type Breakdown = (typeof BREAKDOWNS)[number];

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

/** The reports a page shows, read from GET /v1/reports/summary: the API scopes them to the key. */
export async function loadReports(api: ApiClient, s: ReportSelection) {
  const base = { from: s.from, to: s.to, tz: s.tz, program: s.program };
  const previous = previousPeriod(s.from, s.to);
  const [days, breakdown, previousDays] = await Promise.all([
    api.get<{ rows: ReportRow[] }>(`/v1/reports/summary${query({ ...base, groupBy: 'day' })}`),
    api.get<{ rows: ReportRow[] }>(`/v1/reports/summary${query({ ...base, groupBy: s.by })}`),
    previous
      ? api.get<{ rows: ReportRow[] }>(`/v1/reports/summary${query({ ...base, ...previous, groupBy: 'day' })}`)
      : Promise.resolve({ rows: [] as ReportRow[] }),
  ]);
  return { days: days.rows, breakdown: breakdown.rows, previousDays: previousDays.rows, previous };
}

/**
 * The reports, or the API's refusal of the selection (a zone it does not know, a range it
 * refuses) as a message beside the form the viewer can correct, instead of an error page.
 */
export async function loadReportsOrError(api: ApiClient, s: ReportSelection) {
  try {
    return { reports: await loadReports(api, s) };
  } catch (error) {
    if (error instanceof ApiCallError && error.status < 500) return { error: error.message };
    throw error;
  }
}

export type Reports = Awaited<ReturnType<typeof loadReports>>;

function kpis(fmt: Formatter, days: ReportRow[], previousDays: ReportRow[] | undefined): Kpi[] {
  const now = totals(days);
  const before = previousDays ? totals(previousDays) : undefined;
  const direction = (a: number, b: number) => (a > b ? 'up' : a < b ? 'down' : 'flat') as 'up' | 'down' | 'flat';
  const count = (label: string, field: 'clicks' | 'orders'): Kpi => ({
    label,
    field,
    value: fmt.count(now[field]),
    raw: String(now[field]),
    previous: before && {
      value: fmt.count(before[field]),
      change: fmt.change(now[field], before[field]),
      direction: direction(now[field], before[field]),
    },
  });
  const money = (label: string, field: 'revenue' | 'commission'): Kpi[] => {
    const currencies = Object.keys(now[field]);
    return currencies.map((currency) => {
      const a = now[field][currency]!;
      const b = before?.[field][currency] ?? '0';
      return {
        label: currencies.length > 1 ? `${label} (${currency})` : label,
        field: `${field}:${currency}`,
        value: fmt.money(a, currency),
        raw: a,
        previous: before && {
          value: fmt.money(b, currency),
          change: fmt.change(Number(a), Number(b)),
          direction: direction(Number(a), Number(b)),
        },
      };
    });
  };
  return [
    count('Clicks', 'clicks'),
    count('Orders', 'orders'),
    ...money('Revenue', 'revenue'),
    ...money('Commission', 'commission'),
  ];
}

/** Range form with presets, headline figures against the previous period, charts, the breakdown and the days. */
export function ReportSection(props: {
  action: string;
  s: ReportSelection;
  reports?: Reports;
  error?: string;
  breakdowns: readonly Breakdown[];
  /** Chart estimated and settled commission as two lines (affiliates) instead of the total. */
  split?: boolean;
  programs: { id: string; name: string }[];
  fmt: Formatter;
  today: string;
}) {
  const { s, fmt } = props;
  const csv = (groupBy: string) => `/app/report.csv${query({ from: s.from, to: s.to, tz: s.tz, program: s.program, groupBy })}`;
  const link = (from: string, to: string) =>
    `${props.action}${query({ from, to, tz: s.tz === 'UTC' ? undefined : s.tz, program: s.program, by: s.by })}`;
  const r = props.reports;
  return (
    <>
      <Card id="range" title="Range">
        <ul class="presets" aria-label="Date range presets">
          {presets(props.today).map((preset) => (
            <li>
              <a
                href={link(preset.from, preset.to)}
                aria-current={preset.from === s.from && preset.to === s.to ? 'true' : undefined}
              >
                {preset.label}
              </a>
            </li>
          ))}
        </ul>
        <form class="inline" method="get" action={props.action} aria-label="Report range and breakdown">
          <Field label="From">
            <input type="date" name="from" value={s.from} required />
          </Field>
          <Field label="To">
            <input type="date" name="to" value={s.to} required />
          </Field>
          <Field label="Time zone">
            <input type="text" name="tz" value={s.tz} list="time-zones" size={16} maxlength={64} autocomplete="off" />
          </Field>
          <datalist id="time-zones">
            {TIME_ZONES.map((zone) => (
              <option value={zone} />
            ))}
          </datalist>
          <Field label="Program">
            <select name="program">
              <option value="">All programs</option>
              {props.programs.map((program) => (
                <option value={program.id} selected={program.id === s.program}>
                  {program.name}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Breakdown">
            <select name="by">
              {props.breakdowns.map((b) => (
                <option value={b} selected={b === s.by}>
                  {BREAKDOWN_TITLES[b]}
                </option>
              ))}
            </select>
          </Field>
          <button type="submit">Apply</button>
        </form>
      </Card>
      {r && (
        <>
          <Card id="summary" title={`${s.from} – ${s.to}`}>
            <Kpis items={kpis(fmt, r.days, r.previous ? r.previousDays : undefined)} testId="kpis" />
            {r.previous && (
              <p class="small muted">
                Compared with {r.previous.from} – {r.previous.to}, the period of equal length before.
              </p>
            )}
          </Card>
          <Card id="chart" title="Per day">
            <DayCharts
              id="daily"
              locale={fmt.locale}
              days={chartDays(r.days)}
              previous={r.previous ? alignPrevious(r.previousDays, r.previous.from, r.days.length) : undefined}
              series={[
                { id: 'chart-clicks', title: 'Clicks', kind: 'count', fields: [{ field: 'clicks', label: 'Clicks' }] },
                { id: 'chart-orders', title: 'Orders', kind: 'count', fields: [{ field: 'orders', label: 'Orders' }] },
                props.split
                  ? {
                      id: 'chart-commission',
                      title: 'Commission, estimated and settled',
                      kind: 'money',
                      fields: [
                        { field: 'estimated', label: 'Estimated' },
                        { field: 'settled', label: 'Settled' },
                      ],
                    }
                  : {
                      id: 'chart-commission',
                      title: 'Commission',
                      kind: 'money',
                      fields: [{ field: 'commission', label: 'Commission' }],
                    },
              ]}
            />
          </Card>
          <Card
            id="breakdown"
            title={`By ${BREAKDOWN_TITLES[s.by].toLowerCase()}`}
            actions={
              <a href={csv(s.by)} download>
                Download CSV (by {BREAKDOWN_TITLES[s.by].toLowerCase()})
              </a>
            }
          >
            <ReportTable rows={r.breakdown} keyTitle={BREAKDOWN_TITLES[s.by]} testId="breakdown-table" by={s.by} fmt={fmt} />
          </Card>
          <Card
            id="days"
            title="By day"
            actions={
              <a href={csv('day')} download>
                Download CSV (by day)
              </a>
            }
          >
            <ReportTable rows={r.days} keyTitle="Day" testId="day-table" by="day" fmt={fmt} />
          </Card>
        </>
      )}
    </>
  );
}

/**
 * The previous period's days laid under this period's by position (day 1 under day 1), with the
 * days the report left out (no activity) as zeros, so the dashed line compares like with like.
 */
function alignPrevious(rows: ReportRow[], from: string, length: number): ChartDay[] {
  const byDay = new Map(rows.map((r) => [r.key, r]));
  const start = Date.parse(`${from}T00:00:00Z`);
  return Array.from({ length }, (_, i) => {
    const key = new Date(start + i * 24 * 3600 * 1000).toISOString().slice(0, 10);
    const r = byDay.get(key);
    return r
      ? chartDays([r])[0]!
      : { day: key, currency: '', clicks: 0, orders: 0, commission: '0', estimated: '0', settled: '0' };
  });
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
