import type { Hono } from 'hono';
import type { AuditView } from '../../use-cases/audit-log';
import type { AppEnv } from '../env';
import { query } from './api-client';
import { DataTable, text } from './data-table';
import { Layout } from './layout';
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
      const csvHref = `/app/audit.csv${query(filters)}`;
      return c.html(
        <Layout title="Audit log" role={role} csrf={p.session.csrf}>
          <section aria-labelledby="audit-filter-h">
            <h2 id="audit-filter-h">Filter</h2>
            <form method="get" action="/app/audit" class="inline" aria-label="Filter the audit log">
              <label>
                Key (e.g. key_3)
                <input type="text" name="actor" value={filters.actor ?? ''} size={10} />
              </label>
              <label>
                Action (e.g. program.update)
                <input type="text" name="action" value={filters.action ?? ''} size={20} />
              </label>
              <label>
                Object type
                <input type="text" name="objectType" value={filters.objectType ?? ''} size={12} />
              </label>
              <label>
                Object id
                <input type="text" name="objectId" value={filters.objectId ?? ''} size={12} />
              </label>
              <button type="submit">Show</button>
            </form>
          </section>
          <section aria-labelledby="audit-h">
            <h2 id="audit-h">Changes, newest first</h2>
            <p>
              <a href={csvHref}>Download this page as CSV</a>
            </p>
            <DataTable
              testId="audit-table"
              columns={[text('When (UTC)'), text('Who'), text('Action'), text('Object'), text('Change'), text('From')]}
              rows={page.entries}
              empty="No changes recorded."
              row={(e) => (
                <tr data-key={e.id}>
                  <th scope="row">{e.at}</th>
                  <td>{`${e.actor.keyId ?? '—'} (${e.actor.role})`}</td>
                  <td data-field="action">{e.action}</td>
                  <td>{`${e.objectType} ${e.objectId ?? ''}`}</td>
                  <td>
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
          </section>
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
