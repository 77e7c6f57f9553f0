import type { Context, Hono } from 'hono';
import type { PayoutSummary } from '../../payouts/payout-runs';
import type { AppEnv } from '../env';
import { ApiCallError, query } from './api-client';
import { Csrf, Layout } from './layout';
import type { PageContext, PageRunner } from './page-runner';
import { DataTable, num, text } from './data-table';
import { Badge, Card } from './components';
import { PAYOUT_ID, registerFinanceRunPage } from './finance-run';

/** A payout run as GET /v1/payouts answers it. */
type Payout = PayoutSummary;

const ID_PATTERN = PAYOUT_ID;

/**
 * "EUR 25.00, JPY 4000" (or "EUR=25.00 JPY=4000") as the API's minimums; undefined when the field
 * is empty. Text that reads as no pair goes through as written, so the API's own message names it.
 */
function parseMinimums(text: string): Record<string, string> | undefined {
  if (text.trim() === '') return undefined;
  const pairs = [...text.matchAll(/([A-Za-z]{3})\s*[=:\s]\s*([^\s,;]+)/g)];
  if (pairs.length === 0) return { [text.trim()]: '' };
  return Object.fromEntries(pairs.map(([, currency, amount]) => [currency!.toUpperCase(), amount!]));
}

export function registerFinancePages(router: Hono<AppEnv>, run: PageRunner) {
  async function renderRuns(
    c: Context,
    p: PageContext,
    state: { notice?: string; error?: string; form?: Record<string, string> },
  ) {
    const { payouts } = await p.api.get<{ payouts: Payout[] }>('/v1/payouts');
    const form = state.form ?? {};
    return c.html(
      <Layout title="Payout runs" role="finance" csrf={p.session.csrf} notice={state.notice} error={state.error} path={p.path}>
        <Card id="create" title="New payout run">
          <p>
            Takes every approved entry up to "as of" not yet in a payout, netted per affiliate and currency; affiliates under the
            minimum carry over. Give each currency its own minimum; one minimum amount applies only in the currencies whose
            decimals it fits, and the run lists the currencies it skipped.
          </p>
          <form method="post" action="/app/finance/payouts" class="inline" aria-label="New payout run">
            <Csrf token={p.session.csrf} />
            <label>
              As of (UTC, ISO 8601; not after the last batch)
              <input type="text" name="asOf" required value={form.asOf ?? `${p.today}T00:00:00Z`} size={26} />
            </label>
            <label>
              Minimums per currency (e.g. EUR 25.00, JPY 4000)
              <input type="text" name="minimums" value={form.minimums ?? ''} size={24} />
            </label>
            <label>
              or one minimum amount
              <input
                type="text"
                name="minimumAmount"
                inputmode="decimal"
                pattern="[0-9]+(\.[0-9]+)?"
                value={form.minimumAmount ?? '10.00'}
                size={10}
              />
            </label>
            <label>
              Currency (optional)
              <input type="text" name="currency" value={form.currency ?? ''} maxlength={3} size={5} pattern="[A-Z]{3}" />
            </label>
            <button type="submit">Create run</button>
          </form>
        </Card>
        <Card id="runs" title="Runs">
          <DataTable
            testId="payouts-table"
            columns={[text('Run'), text('Status'), text('As of'), num('Affiliates'), num('Total'), text('Actions')]}
            rows={payouts}
            empty="No payout runs yet."
            row={(po) => (
              <tr data-key={po.id}>
                <th scope="row">
                  <a href={`/app/finance/payouts/${po.id}`}>{po.id}</a>
                </th>
                <td data-field="status" data-value={po.status}>
                  <Badge status={po.status} />
                </td>
                <td>{p.fmt.dateTime(po.asOf)}</td>
                <td class="num" data-field="affiliates" data-value={String(po.affiliates)}>
                  {p.fmt.count(po.affiliates)}
                </td>
                <td
                  class="num"
                  data-field="total"
                  data-value={Object.entries(po.total)
                    .map(([currency, amount]) => `${amount} ${currency}`)
                    .join(', ')}
                >
                  {Object.entries(po.total)
                    .map(([currency, amount]) => p.fmt.money(amount, currency))
                    .join(', ')}
                </td>
                <td>
                  <a href={`/app/finance/payouts/${po.id}/csv`} download>
                    CSV<span class="visually-hidden"> of {po.id}</span>
                  </a>{' '}
                  <a href={`/app/finance/payouts/${po.id}`}>
                    {po.status === 'created' ? 'Review and pay' : 'Open'}
                    <span class="visually-hidden"> {po.id}</span>
                  </a>
                </td>
              </tr>
            )}
          />
        </Card>
      </Layout>,
    );
  }

  router.get(
    '/app/finance',
    run.page(['finance'], (c, p) => renderRuns(c, p, { notice: c.req.query('done') })),
  );

  router.post(
    '/app/finance/payouts',
    run.action(['finance'], async (c, p, form) => {
      const body: Record<string, unknown> = { asOf: form.asOf ?? '' };
      const minimums = parseMinimums(form.minimums ?? '');
      if (minimums) body.minimums = minimums;
      else body.minimumAmount = form.minimumAmount ?? '';
      if (form.currency) body.currency = form.currency;
      try {
        const created = await p.api.send<Payout>('POST', '/v1/payouts', body);
        const skipped = created.skipped.map((s) => `${s.currency} skipped: ${s.message}`).join('; ');
        return c.redirect(
          `/app/finance?done=${encodeURIComponent(`Run ${created.id} created for ${created.affiliates} affiliates${skipped ? `. ${skipped}` : ''}`)}`,
          303,
        );
      } catch (error) {
        if (error instanceof ApiCallError && error.status < 500) {
          c.status(error.status as 400);
          return renderRuns(c, p, { error: error.message, form });
        }
        throw error;
      }
    }),
  );

  router.get(
    '/app/finance/payouts/:id/csv',
    run.page(['finance'], async (c, p) => {
      const id = c.req.param('id') ?? '';
      if (!ID_PATTERN.test(id)) throw new ApiCallError(404, 'not_found', 'payout not found');
      const format = c.req.query('format');
      const currency = c.req.query('currency');
      const response = await p.api.raw(`/v1/payouts/${id}/csv${query({ format, currency })}`);
      const headers = new Headers({
        'content-type': response.headers.get('content-type') ?? 'text/csv; charset=utf-8',
        'cache-control': 'no-store',
      });
      headers.set(
        'content-disposition',
        response.headers.get('content-disposition') ?? `attachment; filename="payout-${id}.csv"`,
      );
      return new Response(response.body, { status: 200, headers });
    }),
  );

  registerFinanceRunPage(router, run);
}
