import type { Context, Hono } from 'hono';
import type { AppEnv } from '../env';
import { ApiCallError, query } from './api-client';
import { Csrf, Layout } from './layout';
import type { PageContext, PageRunner } from './page-runner';
import { loadReportsOrError, ReportSection, reportSelection } from './report-pages';
import { DataTable, MoneyCell, num, text } from './data-table';
import { Badge, Card } from './components';

interface Program {
  id: string;
  name: string;
  landingUrl: string;
  allowedDomains: string[];
  currency: string;
  membership?: string;
}
interface Link {
  id: string;
  code: string;
  programId: string;
  url: string | null;
  trackingUrl: string;
  sub1: string | null;
  sub2: string | null;
  sub3: string | null;
  sub4: string | null;
  sub5: string | null;
  status: string;
  createdAt: string;
}
interface Balance {
  currency: string;
  estimated: string;
  held: string;
  settled: string;
  inPayout: string;
  paid: string;
}

const AFFILIATE_BREAKDOWNS = ['link', 'program', 'sub1', 'sub2', 'sub3', 'sub4', 'sub5', 'country', 'device'] as const;
/** The builder lists at most this many links (5 API pages), newest first. */
const LINK_PAGES = 5;
const SUB_IDS = ['sub1', 'sub2', 'sub3', 'sub4', 'sub5'] as const;

/** A page under the program's landing URL, shown as the deep link field's example. */
function exampleDeepLink(landingUrl: string): string {
  try {
    const url = new URL(landingUrl);
    return `${url.origin}/product/42`;
  } catch {
    return landingUrl;
  }
}

export function registerAffiliatePages(router: Hono<AppEnv>, run: PageRunner) {
  router.get(
    '/app/affiliate',
    run.page(['affiliate'], async (c, p) => {
      const s = reportSelection(c, p, 'link');
      const [{ programs }, loaded, { balances }, { payouts }] = await Promise.all([
        p.api.get<{ programs: Program[] }>('/v1/programs'),
        loadReportsOrError(p.api, s),
        p.api.get<{ balances: Balance[] }>('/v1/earnings'),
        p.api.get<{ payouts: { id: string; status: string; currency: string; amount: string; createdAt: string }[] }>(
          '/v1/affiliates/me/payouts',
        ),
      ]);
      if (loaded.error) c.status(422);
      return c.html(
        <Layout title="Affiliate overview" role="affiliate" csrf={p.session.csrf} path={p.path} error={loaded.error}>
          <Card id="balance" title="Balance">
            <p>Estimated: pending orders. Settled: approved, waiting for a payout. Held: under the merchant's review.</p>
            <DataTable
              testId="balance-table"
              columns={[text('Currency'), num('Estimated'), num('Held'), num('Settled'), num('In a payout'), num('Paid')]}
              rows={balances}
              empty="Nothing earned yet."
              row={(b) => (
                <tr data-key={b.currency}>
                  <th scope="row">{b.currency}</th>
                  {(['estimated', 'held', 'settled', 'inPayout', 'paid'] as const).map((field) => (
                    <MoneyCell fmt={p.fmt} amount={b[field]} currency={b.currency} field={field} />
                  ))}
                </tr>
              )}
            />
          </Card>
          <ReportSection
            action="/app/affiliate"
            s={s}
            {...loaded}
            breakdowns={AFFILIATE_BREAKDOWNS}
            programs={programs}
            split
            fmt={p.fmt}
            today={p.today}
          />
          <Card id="payouts" title="Payouts">
            <DataTable
              testId="payouts-table"
              columns={[text('Payout'), text('Created'), text('Status'), num('Amount')]}
              rows={payouts}
              empty="No payouts yet."
              row={(po) => (
                <tr data-key={`${po.id}:${po.currency}`}>
                  <th scope="row">{po.id}</th>
                  <td>{po.createdAt.slice(0, 10)}</td>
                  <td>
                    <Badge status={po.status} />
                  </td>
                  <MoneyCell fmt={p.fmt} amount={po.amount} currency={po.currency} field="amount" />
                </tr>
              )}
            />
          </Card>
        </Layout>,
      );
    }),
  );

  async function renderBuilder(
    c: Context,
    p: PageContext,
    state: { created?: Link; error?: string; form?: Record<string, string> },
  ) {
    const { programs } = await p.api.get<{ programs: Program[] }>('/v1/programs');
    const links: Link[] = [];
    let after: string | undefined;
    for (let page = 0; page < LINK_PAGES; page++) {
      const result = await p.api.get<{ links: Link[]; next: string | null }>(`/v1/links${query({ limit: 200, after })}`);
      links.push(...result.links);
      if (!result.next) break;
      after = result.next;
    }
    const names = new Map(programs.map((pr) => [pr.id, pr.name]));
    const form = state.form ?? {};
    const usable = programs.filter((pr) => pr.membership !== 'suspended');
    // The placeholder is a page of the chosen (or first) program's own shop, never a made-up domain.
    const chosen = usable.find((pr) => pr.id === form.programId) ?? usable[0];
    const placeholder = chosen ? exampleDeepLink(chosen.landingUrl) : 'https://';
    return c.html(
      <Layout title="Link builder" role="affiliate" csrf={p.session.csrf} error={state.error} path={p.path}>
        <section aria-labelledby="build-h">
          <h2 id="build-h">New tracking link</h2>
          <form method="post" action="/app/affiliate/links" class="inline" aria-label="New tracking link">
            <Csrf token={p.session.csrf} />
            <label>
              Program
              <select name="programId" required>
                {usable.map((pr) => (
                  <option value={pr.id} selected={pr.id === form.programId} data-placeholder={exampleDeepLink(pr.landingUrl)}>
                    {pr.name} ({pr.allowedDomains.join(', ')})
                  </option>
                ))}
              </select>
            </label>
            <label style="flex:1 1 320px">
              Deep link (optional, a page on the program's shop)
              <input
                type="url"
                name="url"
                value={form.url ?? ''}
                placeholder={placeholder}
                data-placeholder-from="programId"
                maxlength={2048}
              />
            </label>
            {SUB_IDS.map((sub, i) => (
              <label>
                {`Sub-id ${i + 1}`}
                <input type="text" name={sub} value={form[sub] ?? ''} maxlength={128} size={12} />
              </label>
            ))}
            <button type="submit">Create link</button>
          </form>
        </section>
        {state.created && (
          <section aria-labelledby="created-h">
            <h2 id="created-h">Your link</h2>
            <label>
              Tracking URL
              <input id="created-url" type="text" readonly value={state.created.trackingUrl} data-testid="created-url" />
            </label>
            <p>
              <button type="button" data-copy="created-url" data-status="copy-status">
                Copy link
              </button>{' '}
              <span id="copy-status" role="status" aria-live="polite"></span>
            </p>
          </section>
        )}
        <section aria-labelledby="links-h">
          <h2 id="links-h">Your links ({links.length})</h2>
          <DataTable
            testId="links-table"
            columns={[text('Code'), text('Program'), text('Deep link'), text('Sub-ids'), text('Tracking URL'), text('Status')]}
            rows={[...links].reverse()}
            row={(l) => (
              <tr data-key={l.code}>
                <th scope="row">{l.code}</th>
                <td>{names.get(l.programId) ?? l.programId}</td>
                <td>{l.url ?? '(landing page)'}</td>
                <td>
                  {SUB_IDS.filter((sub) => l[sub]).map((sub, i) => (
                    <>
                      {i > 0 ? ', ' : ''}
                      <span data-sub={sub}>
                        <span class="muted">{sub}=</span>
                        {l[sub]}
                      </span>
                    </>
                  ))}
                </td>
                <td>{l.trackingUrl}</td>
                <td>{l.status}</td>
              </tr>
            )}
          />
        </section>
      </Layout>,
    );
  }

  router.get(
    '/app/affiliate/links',
    run.page(['affiliate'], (c, p) => renderBuilder(c, p, {})),
  );

  router.post(
    '/app/affiliate/links',
    run.action(['affiliate'], async (c, p, form) => {
      const body: Record<string, string> = { programId: form.programId ?? '' };
      if (form.url) body.url = form.url;
      for (const sub of SUB_IDS) if (form[sub]) body[sub] = form[sub];
      try {
        const created = await p.api.send<Link>('POST', '/v1/links', body);
        return renderBuilder(c, p, { created });
      } catch (error) {
        // A refused deep link (not on the program's domains) keeps the form filled in.
        if (error instanceof ApiCallError && error.status < 500) {
          c.status(error.status as 400);
          return renderBuilder(c, p, { error: error.message, form });
        }
        throw error;
      }
    }),
  );
}
