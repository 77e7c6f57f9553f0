import type { Hono } from 'hono';
import type { AppEnv } from '../env';
import { Card, Named } from './components';
import { DataTable, text } from './data-table';
import { query } from './api-client';
import { ActionButton, Layout } from './layout';
import { type DeliveryRow, DeliveryTable } from './merchant-webhooks';
import type { Program } from './merchant-api';
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
        p.api.get<{ programs: Program[] }>('/v1/programs'),
      ]);
      const programName = new Map(programs.map((pr) => [pr.id, pr.name]));
      const hasUrl = settings.default !== null || settings.programs.length > 0;
      const done = c.req.query('done');
      const rows = [
        ...(settings.default ? [{ programId: null, ...settings.default }] : []),
        ...settings.programs.map((pr) => ({ programId: pr.programId as string | null, url: pr.url, updatedAt: pr.updatedAt })),
      ];
      return c.html(
        <Layout title="Postbacks" role="affiliate" csrf={p.session.csrf} path={p.path} notice={done || undefined}>
          <Card id="urls" title="Postback URLs">
            <p>
              Set them with <code>PUT /v1/affiliates/me/postback</code> and{' '}
              <code>PUT /v1/affiliates/me/programs/&#123;programId&#125;/postback</code>; a program's own URL replaces the default
              for that program. Times are UTC.
            </p>
            <DataTable
              testId="postback-urls"
              label="Postback URLs"
              columns={[text('For'), text('URL template'), text('Updated')]}
              rows={rows}
              empty="No postback URL set."
              row={(r) => (
                <tr>
                  <th scope="row">
                    {r.programId === null ? (
                      'All programs (default)'
                    ) : (
                      <Named id={r.programId} name={programName.get(r.programId)} />
                    )}
                  </th>
                  <td>
                    <code>{r.url}</code>
                  </td>
                  <td data-value={r.updatedAt}>{p.fmt.dateTime(r.updatedAt)}</td>
                </tr>
              )}
            />
          </Card>
          {hasUrl && (
            <Card id="test" title="Send a test">
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
            </Card>
          )}
          <Card id="log" title={`Last deliveries (${p.fmt.count(deliveries.length)})`}>
            <DeliveryTable testId="postback-deliveries" label="Postback deliveries" fmt={p.fmt} rows={deliveries} />
          </Card>
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
