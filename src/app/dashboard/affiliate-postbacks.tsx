import type { Hono } from 'hono';
import type { AppEnv } from '../env';
import { DataTable, text } from './data-table';
import { Layout } from './layout';
import { type DeliveryRow, DeliveryTable } from './merchant-webhooks';
import type { PageRunner } from './page-runner';

interface Postbacks {
  default: { url: string; updatedAt: string } | null;
  programs: { programId: string; url: string; updatedAt: string }[];
}

/**
 * /app/affiliate/postbacks: the affiliate's postback URLs (the default and per program) and the
 * log of its own postback deliveries. Setting a URL stays in the API (docs/webhooks.md).
 */
export function registerAffiliatePostbackPages(router: Hono<AppEnv>, run: PageRunner) {
  router.get(
    '/app/affiliate/postbacks',
    run.page(['affiliate'], async (c, p) => {
      const [settings, { deliveries }] = await Promise.all([
        p.api.get<Postbacks>('/v1/affiliates/me/postback'),
        p.api.get<{ deliveries: DeliveryRow[] }>('/v1/affiliates/me/postback/deliveries'),
      ]);
      const rows = [
        ...(settings.default ? [{ scope: 'All programs (default)', ...settings.default }] : []),
        ...settings.programs.map((pr) => ({ scope: pr.programId, url: pr.url, updatedAt: pr.updatedAt })),
      ];
      return c.html(
        <Layout title="Postbacks" role="affiliate" csrf={p.session.csrf}>
          <section aria-labelledby="urls-h">
            <h2 id="urls-h">Postback URLs</h2>
            <p>
              Set them with <code>PUT /v1/affiliates/me/postback</code> and{' '}
              <code>PUT /v1/affiliates/me/programs/&#123;programId&#125;/postback</code>; a program's own URL replaces the default
              for that program.
            </p>
            <DataTable
              testId="postback-urls"
              columns={[text('For'), text('URL template'), text('Updated')]}
              rows={rows}
              empty="No postback URL set."
              row={(r) => (
                <tr>
                  <th scope="row">{r.scope}</th>
                  <td>
                    <code>{r.url}</code>
                  </td>
                  <td>{r.updatedAt.slice(0, 16).replace('T', ' ')}</td>
                </tr>
              )}
            />
          </section>
          <section aria-labelledby="log-h">
            <h2 id="log-h">Last deliveries ({deliveries.length})</h2>
            <DeliveryTable testId="postback-deliveries" rows={deliveries} />
          </section>
        </Layout>,
      );
    }),
  );
}
