import { formatMoney, parseMoney } from '../../domain/money';
import type { ReportRow } from './report-views';

/** Date ranges of the report pages: the presets, and the previous period to compare with. */

const DAY_MS = 24 * 3600 * 1000;
const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`);
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export interface Preset {
  label: string;
  from: string;
  to: string;
}

/** 7, 30 and 90 days ending today, month to date, last month. */
export function presets(today: string): Preset[] {
  const t = day(today);
  const first = `${today.slice(0, 8)}01`;
  const lastMonthEnd = day(first) - DAY_MS;
  return [
    { label: 'Last 7 days', from: iso(t - 6 * DAY_MS), to: today },
    { label: 'Last 30 days', from: iso(t - 29 * DAY_MS), to: today },
    { label: 'Last 90 days', from: iso(t - 89 * DAY_MS), to: today },
    { label: 'Month to date', from: first, to: today },
    { label: 'Last month', from: `${iso(lastMonthEnd).slice(0, 8)}01`, to: iso(lastMonthEnd) },
  ];
}

/** The period of equal length that ends the day before `from`; undefined for an inverted range. */
export function previousPeriod(from: string, to: string): { from: string; to: string } | undefined {
  const length = (day(to) - day(from)) / DAY_MS + 1;
  if (!Number.isFinite(length) || length < 1 || length > 3660) return undefined;
  const prevTo = day(from) - DAY_MS;
  return { from: iso(prevTo - (length - 1) * DAY_MS), to: iso(prevTo) };
}

export interface Totals {
  clicks: number;
  orders: number;
  /** Per currency, decimal strings, summed in minor units (the one money type). */
  revenue: Record<string, string>;
  commission: Record<string, string>;
}

/** The sums of a report's rows: counts added, amounts per currency in minor units. */
export function totals(rows: ReportRow[]): Totals {
  const sum = (field: 'revenue' | 'commission') => {
    const minor = new Map<string, number>();
    for (const r of rows) {
      const parsed = parseMoney(r[field], r.currency, { allowNegative: true });
      if (parsed.ok) minor.set(r.currency, (minor.get(r.currency) ?? 0) + parsed.value.minor);
    }
    return Object.fromEntries([...minor].map(([currency, m]) => [currency, formatMoney({ minor: m, currency })]));
  };
  return {
    clicks: rows.reduce((n, r) => n + r.clicks, 0),
    orders: rows.reduce((n, r) => n + r.orders, 0),
    revenue: sum('revenue'),
    commission: sum('commission'),
  };
}
