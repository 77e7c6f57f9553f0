import type { Hono } from 'hono';
import type { AppEnv } from '../env';
import { DataTable, text } from './data-table';
import { query } from './api-client';
import { ActionButton, Layout } from './layout';
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
      const [settings, { deliveries }, { programs }] = await Promise.all([
        p.api.get<Postbacks>('/v1/affiliates/me/postback'),
        p.api.get<{ deliveries: DeliveryRow[] }>('/v1/affiliates/me/postback/deliveries'),
        p.api.get<{ programs: { id: string; name: string }[] }>('/v1/programs'),
      ]);
      const hasUrl = settings.default !== null || settings.programs.length > 0;
      const done = c.req.query('done');
      const rows = [
        ...(settings.default ? [{ scope: 'All programs (default)', ...settings.default }] : []),
        ...settings.programs.map((pr) => ({ scope: pr.programId, url: pr.url, updatedAt: pr.updatedAt })),
      ];
      return c.html(
        <Layout title="Postbacks" role="affiliate" csrf={p.session.csrf} notice={done || undefined}>
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
          {hasUrl && (
            <section aria-labelledby="test-h">
              <h2 id="test-h">Send a test</h2>
              <p>A postback.test to the URL a program's commissions use: order TEST, status test, amounts 0.</p>
              <p>
                {programs.map((pr) => (
                  <ActionButton
                    action={`/app/affiliate/postbacks/${encodeURIComponent(pr.id)}/test`}
                    csrf={p.session.csrf}
                    label={`Test ${pr.name}`}
                    name={pr.id}
                  />
                ))}
              </p>
            </section>
          )}
          <section aria-labelledby="log-h">
            <h2 id="log-h">Last deliveries ({deliveries.length})</h2>
            <DeliveryTable testId="postback-deliveries" rows={deliveries} />
          </section>
        </Layout>,
      );
    }),
  );
  router.post(
    '/app/affiliate/postbacks/:programId/test',
    run.action(['affiliate'], async (c, p) => {
      const programId = c.req.param('programId') ?? '';
      await p.api.send('POST', `/v1/affiliates/me/programs/${encodeURIComponent(programId)}/postback/test`);
      return c.redirect(`/app/affiliate/postbacks${query({ done: `Test postback for ${programId} queued.` })}`, 303);
    }),
  );
}
