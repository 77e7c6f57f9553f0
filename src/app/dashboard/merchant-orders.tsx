import type { Hono } from 'hono';
import { ORDER_STATUSES } from '../../domain/order';
import type { AppEnv } from '../env';
import { query } from './api-client';
import { ActionButton, Layout } from './layout';
import type { OrderDetail, OrderSummary } from './merchant-api';
import { dateParam, type PageRunner } from './page-runner';
import { DataTable, num, text } from './data-table';

/** Orders in a table; with `actions`, each row has release and reject buttons (held orders). */
export const OrdersTable = (props: { orders: OrderSummary[]; csrf: string; actions?: boolean }) => (
  <DataTable
    testId="orders-table"
    columns={[
      text('Order'),
      text('Placed (UTC)'),
      text('Status'),
      num('Revenue'),
      text('Affiliate'),
      text('Attribution'),
      text('Held'),
      ...(props.actions ? [text('Review')] : []),
    ]}
    rows={props.orders}
    empty="No orders."
    row={(o) => (
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
                  {order.commission !== null
                    ? `${order.commission} ${order.commissionCurrency}`
                    : order.waitingForRate
                      ? `waiting for a ${order.waitingForRate.from}/${order.waitingForRate.to} exchange rate (either direction)`
                      : 'not computed yet'}
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
            <DataTable
              testId="ledger-table"
              columns={[text('Entry'), text('Kind'), text('Status'), num('Amount'), text('Explanation')]}
              rows={order.ledger}
              empty="No entries yet: the batch computes them."
              row={(e) => (
                <tr>
                  <th scope="row">{e.id}</th>
                  <td>{e.kind}</td>
                  <td>{e.status}</td>
                  <td class="num">
                    {e.amount} {e.currency}
                  </td>
                  <td style="white-space:normal">{e.explanation}</td>
                </tr>
              )}
            />
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
}
