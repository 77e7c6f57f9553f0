import type { Context, Hono } from 'hono';
import { ORDER_STATUSES } from '../../domain/order';
import type { AppEnv } from '../env';
import { ApiCallError, query } from './api-client';
import { ActionButton, Csrf, Layout } from './layout';
import { dateParam, type PageContext, type PageRunner } from './pages';
import { loadReports, ReportSection, reportSelection } from './report-pages';

interface Program {
  id: string;
  name: string;
  currency: string;
  plan: unknown;
}
interface OrderSummary {
  id: string;
  programId: string;
  status: string;
  currency: string;
  revenue: string;
  placedAt: string;
  affiliateId: string | null;
  method: string;
  reason: string;
  held: boolean;
}
interface OrderDetail extends OrderSummary {
  refunded: string;
  review: string | null;
  commission: string | null;
  commissionCurrency: string | null;
  attribution: {
    affiliateId: string | null;
    method: string;
    reason: string;
    held: boolean;
    clickId: string | null;
    linkId: string | null;
    coupon: string | null;
    receipt: unknown;
  };
  history: { type: string; occurredAt: string; channel: string }[];
  ledger: {
    id: string;
    affiliateId: string;
    kind: string;
    status: string;
    amount: string;
    currency: string;
    rule: string | null;
    explanation: string;
  }[];
}
interface Simulation {
  currency: string;
  orders: number;
  affiliates: { affiliateId: string; orders: number; current: string; proposed: string; difference: string }[];
  totals: { current: string; proposed: string; difference: string };
}

const MERCHANT_BREAKDOWNS = [
  'affiliate',
  'link',
  'program',
  'sub1',
  'sub2',
  'sub3',
  'sub4',
  'sub5',
  'country',
  'device',
] as const;
/** Held orders are looked for in at most this many orders (4 API pages). */
const HELD_SCAN_PAGES = 4;

const OrdersTable = (props: { orders: OrderSummary[]; csrf: string; actions?: boolean }) => (
  <div class="scroll">
    <table data-testid="orders-table">
      <thead>
        <tr>
          <th scope="col">Order</th>
          <th scope="col">Placed (UTC)</th>
          <th scope="col">Status</th>
          <th scope="col" class="num">
            Revenue
          </th>
          <th scope="col">Affiliate</th>
          <th scope="col">Attribution</th>
          <th scope="col">Held</th>
          {props.actions && <th scope="col">Review</th>}
        </tr>
      </thead>
      <tbody>
        {props.orders.length === 0 && (
          <tr>
            <td colspan={8}>No orders.</td>
          </tr>
        )}
        {props.orders.map((o) => (
          <tr data-order={o.id}>
            <th scope="row">
              <a href={`/app/merchant/orders/${encodeURIComponent(o.id)}`}>{o.id}</a>
            </th>
            <td>{o.placedAt.slice(0, 16).replace('T', ' ')}</td>
            <td data-field="status">{o.status}</td>
            <td class="num">
              {o.revenue} {o.currency}
            </td>
            <td>{o.affiliateId ?? '–'}</td>
            <td>
              {o.method} ({o.reason})
            </td>
            <td>{o.held ? 'held' : ''}</td>
            {props.actions && (
              <td>
                <ActionButton
                  action={`/app/merchant/orders/${encodeURIComponent(o.id)}/release`}
                  csrf={props.csrf}
                  label="Release"
                  name={o.id}
                />{' '}
                <ActionButton
                  action={`/app/merchant/orders/${encodeURIComponent(o.id)}/reject`}
                  csrf={props.csrf}
                  label="Reject"
                  name={o.id}
                  danger
                />
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  </div>
);

export function registerMerchantPages(router: Hono<AppEnv>, run: PageRunner) {
  const merchant = ['merchant'] as const;

  router.get(
    '/app/merchant',
    run.page([...merchant], async (c, p) => {
      const s = reportSelection(c, p, 'affiliate');
      const [{ programs }, reports] = await Promise.all([
        p.api.get<{ programs: Program[] }>('/v1/programs'),
        loadReports(p.api, s),
      ]);
      return c.html(
        <Layout title="Merchant overview" role="merchant" csrf={p.session.csrf}>
          <ReportSection action="/app/merchant" s={s} {...reports} breakdowns={MERCHANT_BREAKDOWNS} programs={programs} />
        </Layout>,
      );
    }),
  );

  router.get(
    '/app/merchant/orders',
    run.page([...merchant], async (c, p) => {
      const from = dateParam(c, 'from', p.monthAgo);
      const to = dateParam(c, 'to', p.today);
      const status = (ORDER_STATUSES as readonly string[]).includes(c.req.query('status') ?? '')
        ? c.req.query('status')
        : undefined;
      const after = c.req.query('after');
      const page = await p.api.get<{ orders: OrderSummary[]; next: string | null }>(
        `/v1/orders${query({ from, to, status, after, limit: 50 })}`,
      );
      return c.html(
        <Layout title="Orders" role="merchant" csrf={p.session.csrf}>
          <section aria-labelledby="filter-h">
            <h2 id="filter-h">Filter</h2>
            <form class="inline" method="get" action="/app/merchant/orders">
              <label>
                From
                <input type="date" name="from" value={from} required />
              </label>
              <label>
                To
                <input type="date" name="to" value={to} required />
              </label>
              <label>
                Status
                <select name="status">
                  <option value="">Any</option>
                  {ORDER_STATUSES.map((s) => (
                    <option value={s} selected={s === status}>
                      {s}
                    </option>
                  ))}
                </select>
              </label>
              <button type="submit">Apply</button>
            </form>
          </section>
          <section aria-labelledby="orders-h">
            <h2 id="orders-h">
              Orders placed {from} – {to}
            </h2>
            <OrdersTable orders={page.orders} csrf={p.session.csrf} />
            {page.next && (
              <p>
                <a href={`/app/merchant/orders${query({ from, to, status, after: page.next })}`}>Next page</a>
              </p>
            )}
          </section>
        </Layout>,
      );
    }),
  );

  router.get(
    '/app/merchant/orders/:id',
    run.page([...merchant], async (c, p) => {
      const order = await p.api.get<OrderDetail>(`/v1/orders/${encodeURIComponent(c.req.param('id') ?? '')}`);
      const a = order.attribution;
      const notice = c.req.query('done');
      return c.html(
        <Layout
          title={`Order ${order.id}`}
          role="merchant"
          csrf={p.session.csrf}
          notice={notice ? `Order ${notice}; the next batch applies it to the commission.` : undefined}
        >
          <section aria-labelledby="order-h">
            <h2 id="order-h">Order</h2>
            <dl class="cards" data-testid="order-summary">
              <div class="card">
                <dt>Status</dt>
                <dd data-field="status">{order.status}</dd>
              </div>
              <div class="card">
                <dt>Revenue</dt>
                <dd>
                  {order.revenue} {order.currency} (refunded {order.refunded})
                </dd>
              </div>
              <div class="card">
                <dt>Commission</dt>
                <dd data-field="commission">
                  {order.commission === null ? 'not computed yet' : `${order.commission} ${order.commissionCurrency}`}
                </dd>
              </div>
              <div class="card">
                <dt>Review</dt>
                <dd>{a.held ? (order.review ?? 'held, waiting for review') : 'not held'}</dd>
              </div>
            </dl>
            {a.held && order.review === null && (
              <p>
                <ActionButton
                  action={`/app/merchant/orders/${encodeURIComponent(order.id)}/release`}
                  csrf={p.session.csrf}
                  label="Release"
                  name={order.id}
                />{' '}
                <ActionButton
                  action={`/app/merchant/orders/${encodeURIComponent(order.id)}/reject`}
                  csrf={p.session.csrf}
                  label="Reject"
                  name={order.id}
                  danger
                />
              </p>
            )}
          </section>
          <section aria-labelledby="receipt-h">
            <h2 id="receipt-h">Attribution receipt</h2>
            <p data-testid="attribution">
              {a.method === 'none' ? 'Not attributed' : `Attributed to ${a.affiliateId} by ${a.method}`} — {a.reason}
              {a.linkId ? `, link ${a.linkId}` : ''}
              {a.coupon ? `, coupon ${a.coupon}` : ''}
            </p>
            <details>
              <summary>The whole receipt: candidates, window check, rule, flags</summary>
              <pre data-testid="receipt">{JSON.stringify(a.receipt, null, 2)}</pre>
            </details>
          </section>
          <section aria-labelledby="ledger-h">
            <h2 id="ledger-h">Commission ledger</h2>
            <div class="scroll">
              <table data-testid="ledger-table">
                <thead>
                  <tr>
                    <th scope="col">Entry</th>
                    <th scope="col">Kind</th>
                    <th scope="col">Status</th>
                    <th scope="col" class="num">
                      Amount
                    </th>
                    <th scope="col">Explanation</th>
                  </tr>
                </thead>
                <tbody>
                  {order.ledger.length === 0 && (
                    <tr>
                      <td colspan={5}>No entries yet: the batch computes them.</td>
                    </tr>
                  )}
                  {order.ledger.map((e) => (
                    <tr>
                      <th scope="row">{e.id}</th>
                      <td>{e.kind}</td>
                      <td>{e.status}</td>
                      <td class="num">
                        {e.amount} {e.currency}
                      </td>
                      <td style="white-space:normal">{e.explanation}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
          <section aria-labelledby="history-h">
            <h2 id="history-h">Events</h2>
            <ul>
              {order.history.map((h) => (
                <li>
                  {h.occurredAt} {h.type} ({h.channel})
                </li>
              ))}
            </ul>
          </section>
        </Layout>,
      );
    }),
  );

  router.get(
    '/app/merchant/held',
    run.page([...merchant], async (c, p) => {
      // The API lists orders by page; held ones are picked from the most recent pages it returns.
      const held: OrderSummary[] = [];
      let after: string | undefined;
      for (let page = 0; page < HELD_SCAN_PAGES; page++) {
        const result = await p.api.get<{ orders: OrderSummary[]; next: string | null }>(
          `/v1/orders${query({ limit: 200, after })}`,
        );
        held.push(...result.orders.filter((o) => o.held));
        if (!result.next) break;
        after = result.next;
      }
      const reviewed = await Promise.all(held.map((o) => p.api.get<OrderDetail>(`/v1/orders/${encodeURIComponent(o.id)}`)));
      const waiting = held.filter((_, i) => reviewed[i]!.review === null);
      const done = c.req.query('done');
      return c.html(
        <Layout
          title="Held orders"
          role="merchant"
          csrf={p.session.csrf}
          notice={done ? `Order ${done}; the next batch applies it to the commission.` : undefined}
        >
          <section aria-labelledby="held-h">
            <h2 id="held-h">Waiting for review ({waiting.length})</h2>
            <p>A held order earns nothing until you release it; rejecting it reverses its commission.</p>
            <OrdersTable orders={waiting} csrf={p.session.csrf} actions />
          </section>
        </Layout>,
      );
    }),
  );

  for (const decision of ['release', 'reject'] as const) {
    router.post(
      `/app/merchant/orders/:id/${decision}`,
      run.action([...merchant], async (c, p) => {
        const id = c.req.param('id') ?? '';
        await p.api.send('POST', `/v1/orders/${encodeURIComponent(id)}/${decision}`);
        const outcome = decision === 'release' ? 'released' : 'rejected';
        return c.redirect(`/app/merchant/held${query({ done: `${id} ${outcome}` })}`, 303);
      }),
    );
  }

  const planPage = run.page([...merchant], async (c, p) => renderPlan(c, p, {}));
  async function renderPlan(
    c: Context,
    p: PageContext,
    state: {
      planText?: string;
      from?: string;
      to?: string;
      programId?: string;
      simulation?: Simulation;
      notice?: string;
      error?: string;
    },
  ) {
    const { programs } = await p.api.get<{ programs: Program[] }>('/v1/programs');
    const programId = state.programId ?? c.req.query('program') ?? programs[0]?.id;
    const program = programs.find((pr) => pr.id === programId);
    const planText = state.planText ?? (program ? JSON.stringify(program.plan, null, 2) : '');
    const from = state.from ?? p.monthAgo;
    const to = state.to ?? p.today;
    const sim = state.simulation;
    return c.html(
      <Layout title="Commission plan and what-if" role="merchant" csrf={p.session.csrf} notice={state.notice} error={state.error}>
        <section aria-labelledby="program-h">
          <h2 id="program-h">Program</h2>
          <form class="inline" method="get" action="/app/merchant/plan">
            <label>
              Program
              <select name="program">
                {programs.map((pr) => (
                  <option value={pr.id} selected={pr.id === programId}>
                    {pr.name} ({pr.currency})
                  </option>
                ))}
              </select>
            </label>
            <button type="submit">Open</button>
          </form>
        </section>
        {program && (
          <section aria-labelledby="plan-h">
            <h2 id="plan-h">Plan of {program.name}</h2>
            <form method="post" action="/app/merchant/plan">
              <Csrf token={p.session.csrf} />
              <input type="hidden" name="program" value={program.id} />
              <label>
                Plan (JSON: default, rules, tiers, maxPerOrder, parentPercent, excludeNonCash)
                <textarea name="plan" rows={14} spellcheck={false}>
                  {planText}
                </textarea>
              </label>
              <div class="inline" style="display:flex;flex-wrap:wrap;gap:8px 12px;align-items:flex-end;margin-top:8px">
                <label>
                  Simulate from
                  <input type="date" name="from" value={from} required />
                </label>
                <label>
                  to
                  <input type="date" name="to" value={to} required />
                </label>
                <button type="submit" name="intent" value="simulate">
                  Simulate
                </button>
                <button
                  type="submit"
                  name="intent"
                  value="save"
                  class="secondary"
                  data-confirm="Save this plan? It applies to orders placed from now on."
                >
                  Save plan
                </button>
              </div>
            </form>
          </section>
        )}
        {sim && (
          <section aria-labelledby="sim-h">
            <h2 id="sim-h">
              What-if {from} – {to}: {sim.orders} orders
            </h2>
            <div class="scroll">
              <table data-testid="simulation-table">
                <thead>
                  <tr>
                    <th scope="col">Affiliate</th>
                    <th scope="col" class="num">
                      Orders
                    </th>
                    <th scope="col" class="num">
                      Current
                    </th>
                    <th scope="col" class="num">
                      Proposed
                    </th>
                    <th scope="col" class="num">
                      Difference
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {sim.affiliates.map((a) => (
                    <tr data-key={a.affiliateId}>
                      <th scope="row">{a.affiliateId}</th>
                      <td class="num">{a.orders}</td>
                      <td class="num" data-field="current">
                        {a.current}
                      </td>
                      <td class="num" data-field="proposed">
                        {a.proposed}
                      </td>
                      <td class="num" data-field="difference">
                        {a.difference}
                      </td>
                    </tr>
                  ))}
                </tbody>
                <tfoot>
                  <tr data-key="total">
                    <th scope="row">Total ({sim.currency})</th>
                    <td class="num">{sim.orders}</td>
                    <td class="num" data-field="current">
                      {sim.totals.current}
                    </td>
                    <td class="num" data-field="proposed">
                      {sim.totals.proposed}
                    </td>
                    <td class="num" data-field="difference">
                      {sim.totals.difference}
                    </td>
                  </tr>
                </tfoot>
              </table>
            </div>
          </section>
        )}
      </Layout>,
    );
  }
  router.get('/app/merchant/plan', planPage);
  router.post(
    '/app/merchant/plan',
    run.action([...merchant], async (c, p, form) => {
      const state = {
        planText: form.plan ?? '',
        from: form.from ?? p.monthAgo,
        to: form.to ?? p.today,
        programId: form.program ?? '',
      };
      let plan: unknown;
      try {
        plan = JSON.parse(state.planText);
      } catch {
        c.status(422);
        return renderPlan(c, p, { ...state, error: 'The plan is not valid JSON; nothing was simulated or saved.' });
      }
      const path = `/v1/programs/${encodeURIComponent(state.programId)}`;
      try {
        if (form.intent === 'save') {
          await p.api.send('PATCH', path, { plan });
          return renderPlan(c, p, { ...state, notice: 'Plan saved: orders placed from now on earn under it.' });
        }
        const simulation = await p.api.send<Simulation>('POST', `${path}/plan/simulate`, {
          plan,
          from: state.from,
          to: state.to,
        });
        return renderPlan(c, p, { ...state, simulation });
      } catch (error) {
        // A plan the API refuses (schema, decimals) comes back with its reason and the text kept.
        if (error instanceof ApiCallError && error.status < 500 && error.status !== 404) {
          c.status(error.status as 422);
          return renderPlan(c, p, {
            ...state,
            error: `Nothing was ${form.intent === 'save' ? 'saved' : 'simulated'}: ${error.message}`,
          });
        }
        throw error;
      }
    }),
  );
}
