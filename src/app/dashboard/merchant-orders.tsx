import type { Hono } from 'hono';
import { ORDER_STATUSES } from '../../domain/order';
import type { AppEnv } from '../env';
import { formatMoney, parseMoney } from '../../domain/money';
import { query } from './api-client';
import { Badge, Card, Field, Money, Named } from './components';
import { DataTable, MoneyCell, num, text } from './data-table';
import type { Formatter } from './format';
import { ActionButton, Layout } from './layout';
import type { OrderDetail, OrderSummary } from './merchant-api';
import { decidable } from './merchant-held';
import { linkNames, merchantNames, type Names } from './merchant-names';
import { ReceiptTimeline } from './order-receipt';
import { dateParam, type PageRunner } from './page-runner';

/** Net revenue of an order's detail: gross less refunds, in minor units (the list's revenue is this net). */
function net(gross: string, refunded: string, currency: string): string {
  const g = parseMoney(gross, currency);
  const r = parseMoney(refunded, currency);
  return g.ok && r.ok ? formatMoney({ minor: g.value.minor - r.value.minor, currency }) : gross;
}

/** Orders in a table: names for programs and affiliates, the net revenue (gross less refunds, as on each order's page). */
export const OrdersTable = (props: { orders: OrderSummary[]; names: Names; fmt: Formatter }) => (
  <DataTable
    testId="orders-table"
    label="Orders"
    columns={[
      text('Order'),
      text('Placed (UTC)'),
      text('Status'),
      num('Net revenue'),
      text('Program'),
      text('Affiliate'),
      text('Attribution'),
      text('Held'),
    ]}
    rows={props.orders}
    empty="No orders."
    row={(o) => (
      <tr data-order={o.id}>
        <th scope="row">
          <a href={`/app/merchant/orders/${encodeURIComponent(o.id)}`}>{o.id}</a>
        </th>
        <td>{o.placedAt.slice(0, 16).replace('T', ' ')}</td>
        <td>
          <Badge status={o.status} field="status" />
        </td>
        <MoneyCell fmt={props.fmt} amount={o.revenue} currency={o.currency} field="net" />
        <td>
          <Named id={o.programId} name={props.names.program.get(o.programId)} />
        </td>
        <td>
          <Named id={o.affiliateId} name={o.affiliateId ? props.names.affiliate.get(o.affiliateId) : null} />
        </td>
        <td>
          {o.method} <span class="small muted">({o.reason})</span>
        </td>
        <td>{o.held ? <Badge status="held" /> : ''}</td>
      </tr>
    )}
  />
);

/** /app/merchant/orders and /app/merchant/orders/:id: the orders, and one order's receipt, ledger and events. */
export function registerMerchantOrderPages(router: Hono<AppEnv>, run: PageRunner) {
  const merchant = ['merchant'] as const;
  router.get(
    '/app/merchant/orders',
    run.page([...merchant], async (c, p) => {
      const from = dateParam(c, 'from', p.monthAgo);
      const to = dateParam(c, 'to', p.today);
      const status = (ORDER_STATUSES as readonly string[]).includes(c.req.query('status') ?? '')
        ? c.req.query('status')
        : undefined;
      const after = c.req.query('after');
      const [page, names] = await Promise.all([
        p.api.get<{ orders: OrderSummary[]; next: string | null }>(`/v1/orders${query({ from, to, status, after, limit: 50 })}`),
        merchantNames(p.api),
      ]);
      return c.html(
        <Layout title="Orders" role="merchant" csrf={p.session.csrf} path={p.path}>
          <Card id="filter" title="Filter">
            <form class="inline" method="get" action="/app/merchant/orders">
              <Field label="From">
                <input type="date" name="from" value={from} required />
              </Field>
              <Field label="To">
                <input type="date" name="to" value={to} required />
              </Field>
              <Field label="Status">
                <select name="status">
                  <option value="">Any</option>
                  {ORDER_STATUSES.map((s) => (
                    <option value={s} selected={s === status}>
                      {s}
                    </option>
                  ))}
                </select>
              </Field>
              <button type="submit">Apply</button>
            </form>
          </Card>
          <Card id="orders" title={`Orders placed ${from} – ${to}`}>
            <p class="small muted">Net revenue is after refunds; each order's page shows gross, refunds and net.</p>
            <OrdersTable orders={page.orders} names={names} fmt={p.fmt} />
            {page.next && (
              <p>
                <a href={`/app/merchant/orders${query({ from, to, status, after: page.next })}`}>Next page</a>
              </p>
            )}
          </Card>
        </Layout>,
      );
    }),
  );

  router.get(
    '/app/merchant/orders/:id',
    run.page([...merchant], async (c, p) => {
      const order = await p.api.get<OrderDetail>(`/v1/orders/${encodeURIComponent(c.req.param('id') ?? '')}`);
      const a = order.attribution;
      const names = await merchantNames(p.api);
      const clickedAt = (a.receipt as { window?: { clickedAt?: string } } | null)?.window?.clickedAt;
      if (clickedAt) await linkNames(p.api, clickedAt.slice(0, 10), names);
      const notice = c.req.query('done');
      const fmt = p.fmt;
      const c$ = order.currency;
      return c.html(
        <Layout
          title={`Order ${order.id}`}
          role="merchant"
          csrf={p.session.csrf}
          notice={notice ? `Order ${notice}; the next batch applies it to the commission.` : undefined}
        >
          <Card id="order" title="Order">
            <dl class="kpis" data-testid="order-summary">
              <div class="kpi">
                <dt>Status</dt>
                <dd>
                  <Badge status={order.status} field="status" />
                </dd>
              </div>
              <div class="kpi">
                <dt>Program</dt>
                <dd>
                  <Named id={order.programId} name={names.program.get(order.programId)} />
                </dd>
              </div>
              <div class="kpi">
                <dt>Gross revenue</dt>
                <dd class="value">
                  <Money fmt={fmt} amount={order.revenue} currency={c$} field="gross" />
                </dd>
              </div>
              <div class="kpi">
                <dt>Refunds</dt>
                <dd class="value">
                  <Money fmt={fmt} amount={order.refunded} currency={c$} field="refunded" />
                </dd>
              </div>
              <div class="kpi">
                <dt>Net revenue</dt>
                <dd class="value">
                  <Money fmt={fmt} amount={net(order.revenue, order.refunded, c$)} currency={c$} field="net" />
                </dd>
              </div>
              <div class="kpi">
                <dt>Commission</dt>
                <dd class="value" data-field="commission" data-value={order.commission ?? ''}>
                  {order.commission !== null && order.commissionCurrency !== null
                    ? fmt.money(order.commission, order.commissionCurrency)
                    : order.waitingForRate
                      ? `waiting for a ${order.waitingForRate.from}/${order.waitingForRate.to} exchange rate (either direction)`
                      : 'not computed yet'}
                </dd>
              </div>
              <div class="kpi">
                <dt>Review</dt>
                <dd>{a.held ? (order.review ?? 'held, waiting for review') : 'not held'}</dd>
              </div>
            </dl>
            {a.held && order.review === null && decidable(order) && (
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
          </Card>
          <Card id="receipt" title="How this order was attributed">
            <ReceiptTimeline order={order} names={names} fmt={fmt} />
          </Card>
          <Card id="ledger" title="Commission ledger">
            <DataTable
              testId="ledger-table"
              label="Commission ledger"
              columns={[text('Entry'), text('Affiliate'), text('Kind'), text('Status'), num('Amount'), text('Explanation')]}
              rows={order.ledger}
              empty="No entries yet: the batch computes them."
              row={(e) => (
                <tr data-key={e.id}>
                  <th scope="row">{e.id}</th>
                  <td>
                    <Named id={e.affiliateId} name={names.affiliate.get(e.affiliateId)} />
                  </td>
                  <td>{e.kind}</td>
                  <td>
                    <Badge status={e.status} />
                  </td>
                  <MoneyCell fmt={fmt} amount={e.amount} currency={e.currency} field="amount" />
                  <td class="wrap">{e.explanation}</td>
                </tr>
              )}
            />
          </Card>
          <Card id="history" title="Events">
            <ul>
              {order.history.map((h) => (
                <li>
                  {fmt.dateTime(h.occurredAt)} UTC <strong>{h.type}</strong> <span class="small muted">({h.channel})</span>
                </li>
              ))}
            </ul>
          </Card>
        </Layout>,
      );
    }),
  );
}
