import type { Hono } from 'hono';
import type { AppEnv } from '../env';
import { ApiCallError, query } from './api-client';
import { Badge, Card, Field, Named } from './components';
import { DataTable, MoneyCell, num, text } from './data-table';
import { ActionButton, Csrf, Layout } from './layout';
import type { OrderDetail, OrderSummary } from './merchant-api';
import { merchantNames } from './merchant-names';
import type { PageRunner } from './page-runner';

/** Held orders are looked for in at most this many orders (4 API pages). */
const HELD_SCAN_PAGES = 4;
/** A bulk decision takes at most this many orders at once. */
const BULK_MAX = 200;

/** The receipt's flags that hold the order, each with the reason the attribution wrote. */
export interface HoldFlag {
  flag: string;
  holds: boolean;
  detail: string;
}
export function holdFlags(order: OrderDetail): HoldFlag[] {
  const receipt = order.attribution.receipt as { flags?: HoldFlag[] } | null;
  return (receipt?.flags ?? []).filter((f) => f.holds);
}

const FLAG_TITLES: Record<string, string> = {
  click_to_order_too_fast: 'Ordered too soon after the click',
  self_referral: 'Self-referral',
  paid_search: 'Paid search',
  affiliate_suspended: 'Affiliate suspended',
  affiliate_not_in_program: 'Affiliate not in the program',
};
export const flagTitle = (flag: string) => FLAG_TITLES[flag] ?? flag.replace(/_/g, ' ');

/** A held order can be decided only while it still earns something: not once cancelled or refunded. */
export const decidable = (o: { status: string }) => o.status !== 'cancelled' && o.status !== 'refunded';

/** /app/merchant/held: orders waiting for review with their reasons, filters, and single and bulk decisions. */
export function registerMerchantHeldPages(router: Hono<AppEnv>, run: PageRunner) {
  const merchant = ['merchant'] as const;
  router.get(
    '/app/merchant/held',
    run.page([...merchant], async (c, p) => {
      // The API lists the held orders by page (held=true); those not yet decided are shown.
      const held: OrderSummary[] = [];
      let after: string | undefined;
      for (let page = 0; page < HELD_SCAN_PAGES; page++) {
        const result = await p.api.get<{ orders: OrderSummary[]; next: string | null }>(
          `/v1/orders${query({ limit: 200, after, held: 'true' })}`,
        );
        held.push(...result.orders.filter((o) => o.held));
        if (!result.next) break;
        after = result.next;
      }
      const [details, names] = await Promise.all([
        Promise.all(held.map((o) => p.api.get<OrderDetail>(`/v1/orders/${encodeURIComponent(o.id)}`))),
        merchantNames(p.api),
      ]);
      const waiting = held
        .map((o, i) => ({ summary: o, detail: details[i]!, flags: holdFlags(details[i]!) }))
        .filter((o) => o.detail.review === null);
      const reasons = [...new Set(waiting.flatMap((o) => o.flags.map((f) => f.flag)))].sort();
      const reason = c.req.query('reason');
      const shown = reason ? waiting.filter((o) => o.flags.some((f) => f.flag === reason)) : waiting;
      const done = c.req.query('done');
      const csrf = p.session.csrf;
      return c.html(
        <Layout
          title="Held orders"
          role="merchant"
          csrf={csrf}
          path={p.path}
          notice={done ? `${done}; the next batch applies it to the commission.` : undefined}
        >
          <Card id="filter" title="Filter">
            <form class="inline" method="get" action="/app/merchant/held">
              <Field label="Hold reason">
                <select name="reason">
                  <option value="">Any reason</option>
                  {reasons.map((r) => (
                    <option value={r} selected={r === reason}>
                      {flagTitle(r)}
                    </option>
                  ))}
                </select>
              </Field>
              <button type="submit">Apply</button>
            </form>
          </Card>
          <Card id="held" title={`Waiting for review (${shown.length}${reason ? ` of ${waiting.length}` : ''})`}>
            <p>
              A held order earns nothing until you release it; rejecting it reverses its commission. Cancelled and refunded orders
              have nothing left to decide.
            </p>
            <form id="bulk" method="post" action="/app/merchant/held/bulk" class="inline" aria-label="Decide the selected orders">
              <Csrf token={csrf} />
              <input type="hidden" name="reason" value={reason ?? ''} />
              <label class="check">
                <input type="checkbox" data-select-all="bulk" aria-label="Select every order that can be decided" />
                Select all
              </label>
              <button type="submit" name="decision" value="release" class="secondary">
                Release selected
              </button>
              <button
                type="submit"
                name="decision"
                value="reject"
                class="danger"
                data-confirm="Reject the selected orders? Their commission is reversed."
              >
                Reject selected
              </button>
            </form>
            <DataTable
              testId="orders-table"
              label="Held orders"
              columns={[
                text(<span class="visually-hidden">Select</span>),
                text('Order'),
                text('Placed (UTC)'),
                text('Status'),
                num('Net revenue'),
                text('Affiliate'),
                text('Why it is held'),
                text('Review'),
              ]}
              rows={shown}
              empty="Nothing waiting for review."
              row={({ summary: o, flags }, i = 0) => (
                <tr data-order={o.id} data-reasons={flags.map((f) => f.flag).join(' ')}>
                  <td>
                    {decidable(o) && (
                      <input type="checkbox" form="bulk" name={`order_${i}`} value={o.id} aria-label={`Select ${o.id}`} />
                    )}
                  </td>
                  <th scope="row">
                    <a href={`/app/merchant/orders/${encodeURIComponent(o.id)}`}>{o.id}</a>
                  </th>
                  <td>{o.placedAt.slice(0, 16).replace('T', ' ')}</td>
                  <td>
                    <Badge status={o.status} field="status" />
                  </td>
                  <MoneyCell fmt={p.fmt} amount={o.revenue} currency={o.currency} field="revenue" />
                  <td>
                    <Named id={o.affiliateId} name={o.affiliateId ? names.affiliate.get(o.affiliateId) : null} />
                  </td>
                  <td class="wrap" data-field="reason">
                    {flags.length === 0
                      ? o.reason
                      : flags.map((f) => (
                          <div>
                            <strong>{flagTitle(f.flag)}</strong>: {f.detail}
                          </div>
                        ))}
                  </td>
                  <td>
                    {decidable(o) ? (
                      <>
                        <ActionButton
                          action={`/app/merchant/orders/${encodeURIComponent(o.id)}/release`}
                          csrf={csrf}
                          label="Release"
                          name={o.id}
                        />{' '}
                        <ActionButton
                          action={`/app/merchant/orders/${encodeURIComponent(o.id)}/reject`}
                          csrf={csrf}
                          label="Reject"
                          name={o.id}
                          danger
                        />
                      </>
                    ) : (
                      <span class="muted">nothing to decide ({o.status})</span>
                    )}
                  </td>
                </tr>
              )}
            />
          </Card>
        </Layout>,
      );
    }),
  );

  router.post(
    '/app/merchant/held/bulk',
    run.action([...merchant], async (c, p, form) => {
      const decision = form.decision === 'reject' ? 'reject' : form.decision === 'release' ? 'release' : undefined;
      const ids = Object.entries(form)
        .filter(([name]) => /^order_[0-9]+$/.test(name))
        .map(([, id]) => id)
        .slice(0, BULK_MAX);
      const back = (message: string) =>
        c.redirect(`/app/merchant/held${query({ reason: form.reason || undefined, done: message })}`, 303);
      if (!decision) throw new ApiCallError(400, 'validation_failed', 'choose release or reject');
      if (ids.length === 0) return back('No orders were selected');
      // One call per order, one after another: each is its own decision in the API, and one refused
      // (decided meanwhile, cancelled) does not stop the others.
      const refused: string[] = [];
      for (const id of ids) {
        try {
          await p.api.send('POST', `/v1/orders/${encodeURIComponent(id)}/${decision}`);
        } catch (error) {
          if (!(error instanceof ApiCallError) || error.status >= 500) throw error;
          refused.push(`${id} (${error.message})`);
        }
      }
      const outcome = decision === 'release' ? 'released' : 'rejected';
      const ok = ids.length - refused.length;
      return back(`${ok} order${ok === 1 ? '' : 's'} ${outcome}${refused.length ? `; not decided: ${refused.join(', ')}` : ''}`);
    }),
  );

  for (const decision of ['release', 'reject'] as const) {
    router.post(
      `/app/merchant/orders/:id/${decision}`,
      run.action([...merchant], async (c, p) => {
        const id = c.req.param('id') ?? '';
        await p.api.send('POST', `/v1/orders/${encodeURIComponent(id)}/${decision}`);
        const outcome = decision === 'release' ? 'released' : 'rejected';
        return c.redirect(`/app/merchant/held${query({ done: `Order ${id} ${outcome}` })}`, 303);
      }),
    );
  }
}
