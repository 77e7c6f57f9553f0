import type { Hono } from 'hono';
import type { AuditView } from '../../use-cases/audit-log';
import type { AppEnv } from '../env';
import { query } from './api-client';
import { Badge, Card, Field, Named } from './components';
import { DataTable, text } from './data-table';
import { Layout } from './layout';
import { merchantNames } from './merchant-names';
import type { PageRunner } from './page-runner';

const FILTERS = ['actor', 'action', 'objectType', 'objectId', 'cursor'] as const;

/** What changed, compactly: "before → after" as JSON, or the one side there is. */
function change(summary: AuditView['summary']): string {
  const side = (v: unknown) => JSON.stringify(v);
  if (summary.before !== undefined && summary.after !== undefined) return `${side(summary.before)} → ${side(summary.after)}`;
  return side(summary.after ?? summary.before ?? {});
}

/**
 * /app/audit: the audit log as GET /v1/audit answers it to the signed-in key (a merchant its own
 * tenant's rows, finance all), with its filters, the next page, and the same page as CSV.
 */
export function registerAuditPage(router: Hono<AppEnv>, run: PageRunner) {
  router.get(
    '/app/audit',
    run.page(['merchant', 'finance'], async (c, p) => {
      const filters = Object.fromEntries(FILTERS.map((f) => [f, c.req.query(f)?.trim() || undefined]));
      const page = await p.api.get<{ entries: AuditView[]; nextCursor: string | null }>(
        `/v1/audit${query({ ...filters, limit: 100 })}`,
      );
      const role = p.session.principal.role as 'merchant' | 'finance';
      // A merchant sees its programs' and affiliates' names beside their ids; finance sees ids.
      const names = new Map<string, string>();
      if (role === 'merchant') {
        const known = await merchantNames(p.api);
        for (const map of [known.program, known.affiliate]) for (const [id, name] of map) names.set(id, name);
      }
      const csvHref = `/app/audit.csv${query(filters)}`;
      return c.html(
        <Layout title="Audit log" role={role} csrf={p.session.csrf} path={p.path}>
          <Card id="audit-filter" title="Filter">
            <form method="get" action="/app/audit" class="inline" aria-label="Filter the audit log">
              <Field label="Key (e.g. key_3)">
                <input type="text" name="actor" value={filters.actor ?? ''} size={10} />
              </Field>
              <Field label="Action (e.g. program.update)">
                <input type="text" name="action" value={filters.action ?? ''} size={20} />
              </Field>
              <Field label="Object type">
                <input type="text" name="objectType" value={filters.objectType ?? ''} size={12} />
              </Field>
              <Field label="Object id">
                <input type="text" name="objectId" value={filters.objectId ?? ''} size={12} />
              </Field>
              <button type="submit">Show</button>
            </form>
          </Card>
          <Card
            id="audit"
            title="Changes, newest first"
            actions={
              <a class="button secondary small" href={csvHref}>
                Download this page as CSV
              </a>
            }
          >
            <p class="muted small">Times are UTC. A change shows what it was before and after; secrets are never recorded.</p>
            <DataTable
              testId="audit-table"
              label="Audit log"
              columns={[text('When'), text('Who'), text('Action'), text('Object'), text('Change'), text('From')]}
              rows={page.entries}
              empty="No changes recorded."
              row={(e) => (
                <tr data-key={e.id}>
                  <th scope="row" data-value={e.at}>
                    {p.fmt.dateTime(e.at)}
                  </th>
                  <td>
                    <Named id={e.actor.keyId} /> <Badge status={e.actor.role} />
                  </td>
                  <td data-field="action">
                    <code>{e.action}</code>
                  </td>
                  <td>
                    <span class="muted">{e.objectType}</span>{' '}
                    <Named id={e.objectId} name={e.objectId ? names.get(e.objectId) : null} />
                  </td>
                  <td class="wrap">
                    <code>{change(e.summary)}</code>
                  </td>
                  <td>{e.clientAddress}</td>
                </tr>
              )}
            />
            {page.nextCursor ? (
              <p>
                <a href={`/app/audit${query({ ...filters, cursor: page.nextCursor })}`}>Older changes</a>
              </p>
            ) : null}
          </Card>
        </Layout>,
      );
    }),
  );

  router.get(
    '/app/audit.csv',
    run.page(['merchant', 'finance'], async (c, p) => {
      const filters = Object.fromEntries(FILTERS.map((f) => [f, c.req.query(f)?.trim() || undefined]));
      const response = await p.api.raw(`/v1/audit${query({ ...filters, limit: 1000, format: 'csv' })}`);
      return new Response(response.body, {
        status: 200,
        headers: {
          'content-type': response.headers.get('content-type') ?? 'text/csv; charset=utf-8',
          'content-disposition': response.headers.get('content-disposition') ?? 'attachment; filename="audit.csv"',
          'cache-control': 'no-store',
        },
      });
    }),
  );
}
