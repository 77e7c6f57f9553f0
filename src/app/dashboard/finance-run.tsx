import type { Hono } from 'hono';
import type { PayoutSummary } from '../../payouts/payout-runs';
import type { AppEnv } from '../env';
import { ApiCallError, query } from './api-client';
import { Badge, Card, Money, Named } from './components';
import { CountCell, DataTable, MoneyCell, num, text } from './data-table';
import { Csrf, Layout } from './layout';
import type { PageRunner } from './page-runner';

type PayoutDetail = PayoutSummary & { lines: { affiliateId: string; currency: string; amount: string; entries: string[] }[] };

export const PAYOUT_ID = /^[a-z]+_[0-9]+$/;

/** RFC 4180 rows of the API's own payout CSV (quoted cells, doubled quotes, CRLF or LF). */
function csvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') ((cell += '"'), i++);
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') (row.push(cell), (cell = ''));
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      (row.push(cell), rows.push(row), (row = []), (cell = ''));
    } else cell += ch;
  }
  if (cell !== '' || row.length > 0) (row.push(cell), rows.push(row));
  return rows;
}

/** Affiliate names of a run, from its CSV (affiliate_id, affiliate_name): finance reads no affiliate list. */
async function affiliateNames(response: Response): Promise<Map<string, string>> {
  const [header, ...rows] = csvRows(await response.text());
  const id = header?.indexOf('affiliate_id') ?? -1;
  const name = header?.indexOf('affiliate_name') ?? -1;
  if (id < 0 || name < 0) return new Map();
  return new Map(rows.filter((r) => r[id]).map((r) => [r[id]!, r[name] ?? '']));
}

const OUTCOMES = {
  paid: { verb: 'Mark paid', done: 'marked paid', explain: 'Its entries become paid: the affiliates have been paid.' },
  failed: {
    verb: 'Mark failed',
    done: 'marked failed',
    explain: 'Its entries return to the affiliates’ balances and go into the next run.',
  },
} as const;
type Outcome = keyof typeof OUTCOMES;

/**
 * /app/finance/payouts/:id: one run — its totals, the affiliates and amounts it pays, the entries
 * behind each line, the files (CSV, PayPal, Wise), and marking it paid or failed through a
 * confirmation step that names what changes (a page, so it works without script and by keyboard).
 */
export function registerFinanceRunPage(router: Hono<AppEnv>, run: PageRunner) {
  router.get(
    '/app/finance/payouts/:id',
    run.page(['finance'], async (c, p) => {
      const id = c.req.param('id') ?? '';
      if (!PAYOUT_ID.test(id)) throw new ApiCallError(404, 'not_found', 'payout not found');
      const detail = await p.api.get<PayoutDetail>(`/v1/payouts/${id}`);
      const names = detail.lines.length > 0 ? await affiliateNames(await p.api.raw(`/v1/payouts/${id}/csv`)) : new Map();
      const confirm = c.req.query('confirm');
      const asking =
        detail.status === 'created' && (confirm === 'paid' || confirm === 'failed') ? (confirm as Outcome) : undefined;
      const currencies = Object.keys(detail.total);
      const entries = detail.lines.reduce((n, l) => n + l.entries.length, 0);
      const totalText = currencies.map((cur) => p.fmt.money(detail.total[cur]!, cur)).join(', ');
      return c.html(
        <Layout title={`Payout run ${detail.id}`} role="finance" csrf={p.session.csrf} notice={c.req.query('done')}>
          {asking && (
            <Card id="confirm" title={`${OUTCOMES[asking].verb}: ${detail.id}?`} testId="confirm">
              <p>
                {detail.affiliates} affiliates, {entries} entries, {totalText}. {OUTCOMES[asking].explain} This cannot be undone.
              </p>
              <form method="post" action={`/app/finance/payouts/${detail.id}/${asking}`} class="inline">
                <Csrf token={p.session.csrf} />
                <button type="submit" class={asking === 'failed' ? 'danger' : ''}>
                  Confirm: {OUTCOMES[asking].verb.toLowerCase()}
                </button>
                <a href={`/app/finance/payouts/${detail.id}`}>Cancel</a>
              </form>
            </Card>
          )}
          <Card id="run" title="Run">
            <dl class="kpis" data-testid="run-summary">
              <div class="kpi">
                <dt>Status</dt>
                <dd>
                  <Badge status={detail.status} field="status" />
                </dd>
              </div>
              <div class="kpi">
                <dt>As of</dt>
                <dd>{p.fmt.dateTime(detail.asOf)} UTC</dd>
              </div>
              <div class="kpi">
                <dt>Affiliates</dt>
                <dd class="value" data-field="affiliates" data-value={String(detail.affiliates)}>
                  {p.fmt.count(detail.affiliates)}
                </dd>
              </div>
              {currencies.map((cur) => (
                <div class="kpi">
                  <dt>Total {cur}</dt>
                  <dd class="value">
                    <Money fmt={p.fmt} amount={detail.total[cur]!} currency={cur} field={`total:${cur}`} />
                  </dd>
                </div>
              ))}
              {detail.settledAt && (
                <div class="kpi">
                  <dt>Settled</dt>
                  <dd>{p.fmt.dateTime(detail.settledAt)} UTC</dd>
                </div>
              )}
            </dl>
            {detail.skipped.length > 0 && (
              <ul>
                {detail.skipped.map((s) => (
                  <li>
                    {s.currency} not paid: {s.message}
                  </li>
                ))}
              </ul>
            )}
            {detail.status === 'created' && !asking && (
              <p class="inline">
                <a class="button" href={`/app/finance/payouts/${detail.id}?confirm=paid`}>
                  Mark paid…
                </a>
                <a class="button secondary" href={`/app/finance/payouts/${detail.id}?confirm=failed`}>
                  Mark failed…
                </a>
              </p>
            )}
          </Card>
          <Card id="files" title="Files">
            <ul>
              <li>
                <a href={`/app/finance/payouts/${detail.id}/csv`} download>
                  CSV (every line)
                </a>
              </li>
              {currencies.map((cur) => (
                <li>
                  <a href={`/app/finance/payouts/${detail.id}/csv${query({ format: 'paypal', currency: cur })}`} download>
                    PayPal Payouts file ({cur})
                  </a>
                </li>
              ))}
              <li>
                <a href={`/app/finance/payouts/${detail.id}/csv${query({ format: 'wise' })}`} download>
                  Wise batch file
                </a>
              </li>
            </ul>
            <p class="small muted">
              Provider files hold only the affiliates paid that way; an empty one is refused with the reason.
            </p>
          </Card>
          <Card id="lines" title={`Affiliates paid (${detail.lines.length})`}>
            <DataTable
              testId="lines-table"
              label="Payout lines"
              columns={[text('Affiliate'), num('Amount'), num('Entries'), text('Entry ids')]}
              rows={detail.lines}
              empty="This run pays nobody."
              row={(l) => (
                <tr data-key={`${l.affiliateId}:${l.currency}`}>
                  <th scope="row">
                    <Named id={l.affiliateId} name={names.get(l.affiliateId)} />
                  </th>
                  <MoneyCell fmt={p.fmt} amount={l.amount} currency={l.currency} field="amount" />
                  <CountCell fmt={p.fmt} value={l.entries.length} field="entries" />
                  <td class="wrap">
                    <details>
                      <summary>{l.entries.length === 1 ? '1 entry' : `${l.entries.length} entries`}</summary>
                      <code class="small">{l.entries.join(', ')}</code>
                    </details>
                  </td>
                </tr>
              )}
            />
          </Card>
        </Layout>,
      );
    }),
  );

  for (const outcome of ['paid', 'failed'] as const) {
    router.post(
      `/app/finance/payouts/:id/${outcome}`,
      run.action(['finance'], async (c, p) => {
        const id = c.req.param('id') ?? '';
        if (!PAYOUT_ID.test(id)) throw new ApiCallError(404, 'not_found', 'payout not found');
        await p.api.send('POST', `/v1/payouts/${id}/${outcome}`);
        return c.redirect(`/app/finance/payouts/${id}${query({ done: `Run ${id} ${OUTCOMES[outcome].done}` })}`, 303);
      }),
    );
  }
}
