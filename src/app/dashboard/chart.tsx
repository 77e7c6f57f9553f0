/**
 * The dashboards' chart component: small multiples of one day series each (clicks, orders,
 * commission), so every measure has its own axis and none flattens another; commission's axis and
 * tooltips read in the currency. The rows go to the browser as JSON (type application/json is
 * never executed; '<' is escaped) and /app/assets/dashboard.js draws them with Chart.js. The
 * previous period of equal length, when given, is drawn as a dashed line under the same days.
 * The same numbers are in a table on the page, for screen readers and copying.
 */

export interface ChartDay {
  day: string;
  currency: string;
  clicks: number;
  orders: number;
  /** Decimal strings as the API sends them. */
  commission: string;
  estimated: string;
  settled: string;
}

export interface ChartSeries {
  /** The canvas id; the tests read Chart.getChart(canvas). */
  id: string;
  title: string;
  kind: 'count' | 'money';
  /** Fields of ChartDay drawn in this chart, one line/bar each. */
  fields: { field: 'clicks' | 'orders' | 'commission' | 'estimated' | 'settled'; label: string }[];
}

export const DayCharts = (p: { id: string; locale: string; days: ChartDay[]; previous?: ChartDay[]; series: ChartSeries[] }) => {
  const currencies = [...new Set(p.days.map((d) => d.currency))];
  const data = {
    locale: p.locale,
    currency: currencies.length === 1 ? currencies[0] : null,
    days: p.days,
    previous: p.previous ?? [],
  };
  return (
    <div class="charts">
      {p.series.map((s) => (
        <figure style="margin:0" data-series={s.id}>
          <figcaption class="small muted">{s.title}</figcaption>
          <div class="chart">
            <canvas
              id={s.id}
              data-chart={`${p.id}-data`}
              data-kind={s.kind}
              data-fields={s.fields.map((f) => `${f.field}:${f.label}`).join('|')}
              role="img"
              aria-label={`${s.title} per day; the same figures are in the table by day`}
            ></canvas>
          </div>
        </figure>
      ))}
      <script
        type="application/json"
        id={`${p.id}-data`}
        dangerouslySetInnerHTML={{ __html: JSON.stringify(data).replace(/</g, '\\u003c') }}
      ></script>
    </div>
  );
};
