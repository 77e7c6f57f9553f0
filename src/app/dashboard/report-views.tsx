import type { FC } from 'hono/jsx';
import { DataTable, num, text } from './data-table';

/** A summary report row exactly as GET /v1/reports/summary answers it: the page formats nothing. */
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
export type Breakdown = (typeof BREAKDOWNS)[number];

const COLUMNS = [
  ['clicks', 'Clicks'],
  ['uniqueClicks', 'Unique clicks'],
  ['orders', 'Orders'],
  ['revenue', 'Revenue'],
  ['commission', 'Commission'],
  ['commissionEstimated', 'Estimated'],
  ['commissionSettled', 'Settled'],
  ['conversionRate', 'Conversion'],
  ['epc', 'EPC'],
  ['costRatio', 'Cost ratio'],
] as const;

/** Every value is the API's string or integer as sent; data-* attributes let the tests read cells. */
export const ReportTable: FC<{ rows: ReportRow[]; keyTitle: string; testId: string }> = ({ rows, keyTitle, testId }) => (
  <DataTable
    testId={testId}
    columns={[text(keyTitle), text('Currency'), ...COLUMNS.map(([, title]) => num(title))]}
    rows={rows}
    empty="No data in this range."
    row={(row) => (
      <tr data-key={row.key} data-currency={row.currency}>
        <th scope="row">{row.label ? `${row.label} (${row.key})` : row.key === '' ? '(none)' : row.key}</th>
        <td>{row.currency}</td>
        {COLUMNS.map(([field]) => (
          <td class="num" data-field={field}>
            {row[field] === null ? '–' : String(row[field])}
          </td>
        ))}
      </tr>
    )}
  />
);

/**
 * A Chart.js chart of clicks, orders and commission per day. The rows go to the browser as JSON
 * (type application/json is never executed, and hono/jsx escapes it); /app/assets/dashboard.js
 * draws it. The same numbers are in the table by day below it, for screen readers and copying.
 */
export const DailyChart: FC<{ rows: ReportRow[]; id: string; split?: boolean }> = ({ rows, id, split }) => {
  const currencies = [...new Set(rows.map((r) => r.currency))];
  const data = {
    currency: currencies.length === 1 ? currencies[0] : currencies.join('/'),
    // Affiliates watch estimated (pending, held) and settled (approved, paid) apart; merchants the total.
    split: split === true,
    days: rows.map((r) => ({
      day: r.key,
      currency: r.currency,
      clicks: r.clicks,
      orders: r.orders,
      commission: r.commission,
      estimated: r.commissionEstimated,
      settled: r.commissionSettled,
    })),
  };
  return (
    <div class="chart">
      <canvas
        id={id}
        data-chart={`${id}-data`}
        role="img"
        aria-label="Clicks, orders and commission per day; the same figures are in the table by day"
      ></canvas>
      <script
        type="application/json"
        id={`${id}-data`}
        dangerouslySetInnerHTML={{ __html: JSON.stringify(data).replace(/</g, '\\u003c') }}
      ></script>
    </div>
  );
};
