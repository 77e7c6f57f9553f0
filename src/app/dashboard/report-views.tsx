import type { FC } from 'hono/jsx';
import type { ChartDay } from './chart';
import { Named } from './components';
import { CountCell, DataTable, MoneyCell, num, PercentCell, text } from './data-table';
import type { Formatter } from './format';

/** A summary report row exactly as GET /v1/reports/summary answers it. */
export interface ReportRow {
  key: string;
  label?: string;
  currency: string;
  clicks: number;
  uniqueClicks: number;
  orders: number;
  revenue: string;
  commission: string;
  commissionEstimated: string;
  commissionSettled: string;
  conversionRate: string | null;
  epc: string | null;
  costRatio: string | null;
}

export const BREAKDOWNS = ['affiliate', 'link', 'program', 'sub1', 'sub2', 'sub3', 'sub4', 'sub5', 'country', 'device'] as const;
export type Breakdown = (typeof BREAKDOWNS)[number] | 'day';

/** What the row without a key means, per breakdown: never a bare "(none)". */
const EMPTY_KEY: Record<Breakdown, string> = {
  affiliate: 'Not attributed',
  link: 'No link (coupon or not attributed)',
  program: 'No program',
  sub1: 'No sub-id 1',
  sub2: 'No sub-id 2',
  sub3: 'No sub-id 3',
  sub4: 'No sub-id 4',
  sub5: 'No sub-id 5',
  country: 'Unknown country',
  device: 'Unknown device',
  day: '–',
};

const COUNTS = [
  ['clicks', 'Clicks'],
  ['uniqueClicks', 'Unique clicks'],
  ['orders', 'Orders'],
] as const;
const AMOUNTS = [
  ['revenue', 'Revenue'],
  ['commission', 'Commission'],
  ['commissionEstimated', 'Estimated'],
  ['commissionSettled', 'Settled'],
] as const;

/**
 * A report table: counts and amounts in the viewer's locale and the row's currency, conversion
 * and cost ratio as percentages, EPC in currency; each cell keeps the API's value in data-value.
 */
export const ReportTable: FC<{ rows: ReportRow[]; keyTitle: string; testId: string; by: Breakdown; fmt: Formatter }> = ({
  rows,
  keyTitle,
  testId,
  by,
  fmt,
}) => (
  <DataTable
    testId={testId}
    label={`Report by ${keyTitle.toLowerCase()}`}
    columns={[
      text(keyTitle),
      ...COUNTS.map(([, t]) => num(t)),
      ...AMOUNTS.map(([, t]) => num(t)),
      num('Conversion'),
      num('EPC'),
      num('Cost ratio'),
    ]}
    rows={rows}
    empty="No data in this range."
    row={(row) => (
      <tr data-key={row.key} data-currency={row.currency}>
        <th scope="row">
          {row.key === '' ? <span class="muted">{EMPTY_KEY[by]}</span> : <Named id={row.key} name={row.label} />}
        </th>
        {COUNTS.map(([field]) => (
          <CountCell fmt={fmt} value={row[field]} field={field} />
        ))}
        {AMOUNTS.map(([field]) => (
          <MoneyCell fmt={fmt} amount={row[field]} currency={row.currency} field={field} />
        ))}
        <PercentCell fmt={fmt} rate={row.conversionRate} field="conversionRate" />
        <MoneyCell fmt={fmt} amount={row.epc} currency={row.currency} field="epc" />
        <PercentCell fmt={fmt} rate={row.costRatio} field="costRatio" />
      </tr>
    )}
  />
);

/** Day rows as the chart component takes them. */
export const chartDays = (rows: ReportRow[]): ChartDay[] =>
  rows.map((r) => ({
    day: r.key,
    currency: r.currency,
    clicks: r.clicks,
    orders: r.orders,
    commission: r.commission,
    estimated: r.commissionEstimated,
    settled: r.commissionSettled,
  }));
