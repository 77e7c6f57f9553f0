import type { Child, PropsWithChildren } from 'hono/jsx';
import type { Formatter } from './format';

/**
 * The dashboards' building blocks besides the table (data-table.tsx) and the chart (chart.tsx).
 * A page composes these and the classes of theme.ts; see docs/dashboards.md.
 */

/** A titled box: every block of a page is one card; `actions` sit at the right of the title. */
export const Card = (p: PropsWithChildren<{ id: string; title: Child; actions?: Child; testId?: string }>) => (
  <section class="card" id={p.id} aria-labelledby={`${p.id}-h`} data-testid={p.testId}>
    <div class="card-head">
      <h2 id={`${p.id}-h`}>{p.title}</h2>
      {p.actions}
    </div>
    {p.children}
  </section>
);

/** One headline figure, with its change against the previous period when there is one. */
export interface Kpi {
  label: string;
  field: string;
  /** The printed value, already formatted. */
  value: string;
  /** The API's exact value (data-value), for the tests. */
  raw: string;
  /** The same figure over the previous period of equal length. */
  previous?: { value: string; change: string; direction: 'up' | 'down' | 'flat' };
}

export const Kpis = (p: { items: Kpi[]; testId: string }) => (
  <dl class="kpis" data-testid={p.testId}>
    {p.items.map((k) => (
      <div class="kpi" data-field={k.field}>
        <dt>{k.label}</dt>
        <dd>
          <span class="value" data-value={k.raw}>
            {k.value}
          </span>
          {k.previous && (
            <span
              class={`small ${k.previous.direction === 'flat' ? 'muted' : k.previous.direction}`}
              data-previous={k.previous.value}
            >
              {k.previous.change} <span class="muted">vs {k.previous.value}</span>
            </span>
          )}
        </dd>
      </div>
    ))}
  </dl>
);

/**
 * A name where the API gives an id: the name reads, the id is on hover (title) and in data-id
 * for copying and the tests. With no known name the id itself shows.
 */
export const Named = (p: { id: string | null | undefined; name?: string | null; href?: string }) => {
  if (!p.id) return <span class="muted">–</span>;
  const label = p.name || p.id;
  const inner = p.name ? (
    <span class="named" title={p.id} data-id={p.id}>
      {label}
    </span>
  ) : (
    <span data-id={p.id}>{label}</span>
  );
  return p.href ? <a href={p.href}>{inner}</a> : inner;
};

/** A status word with its colour: ok (paid, approved), danger (failed, rejected), warn (held). */
const TONES: Record<string, string> = {
  paid: 'ok',
  won: 'ok',
  approved: 'ok',
  completed: 'ok',
  released: 'ok',
  failed: 'danger',
  rejected: 'danger',
  cancelled: 'danger',
  refunded: 'warn',
  reversed: 'danger',
  held: 'warn',
  pending: '',
  created: '',
};
export const Badge = (p: { status: string; field?: string }) => (
  <span class={`badge ${TONES[p.status] ?? ''}`} data-field={p.field}>
    {p.status}
  </span>
);

/** A labelled form control: the label wraps it, so every input has its accessible name. */
export const Field = (p: PropsWithChildren<{ label: Child; wide?: boolean }>) => (
  <label style={p.wide ? 'flex:1 1 320px' : undefined}>
    {p.label}
    {p.children}
  </label>
);

/** Money in a sentence (not a table): formatted, exact value in data-value. */
export const Money = (p: { fmt: Formatter; amount: string; currency: string; field?: string }) => (
  <span data-field={p.field} data-value={p.amount}>
    {p.fmt.money(p.amount, p.currency)}
  </span>
);
