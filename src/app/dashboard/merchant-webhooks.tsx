import type { Hono } from 'hono';
import type { AppEnv } from '../env';
import { query } from './api-client';
import { DataTable, num, text } from './data-table';
import { ActionButton, Layout } from './layout';
import type { PageRunner } from './page-runner';

/** What the page reads of GET /v1/webhook-endpoints and …/deliveries (docs/webhooks.md). */
interface Endpoint {
  id: string;
  url: string;
  events: string[];
  description: string;
  pausedAt: string | null;
  disabledAt: string | null;
  disabledReason: string | null;
}
export interface DeliveryRow {
  id: string;
  eventId: string;
  eventType: string;
  status: string;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
}

const when = (iso: string | null) => (iso === null ? '–' : iso.slice(0, 16).replace('T', ' '));

function state(e: Endpoint): string {
  if (e.disabledAt !== null) return `disabled ${when(e.disabledAt)}: ${e.disabledReason ?? ''}`;
  if (e.pausedAt !== null) return `paused ${when(e.pausedAt)}`;
  return 'active';
}

/** The delivery log as a table: event, status, attempts, last answer; `action` adds a column of buttons. */
export function DeliveryTable(props: { testId: string; rows: DeliveryRow[]; action?: (d: DeliveryRow) => unknown }) {
  return (
    <DataTable
      testId={props.testId}
      columns={[
        text('Made'),
        text('Event'),
        text('Status'),
        num('Attempts'),
        text('Last answer'),
        text('Next attempt'),
        ...(props.action ? [text('Replay')] : []),
      ]}
      rows={props.rows}
      empty="No deliveries yet."
      row={(d) => (
        <tr data-delivery={d.id}>
          <td>{when(d.createdAt)}</td>
          <td>
            {d.eventType} <small>({d.eventId})</small>
          </td>
          <td data-field="status">{d.status}</td>
          <td class="num">{d.attempts}</td>
          <td>{d.lastStatusCode ?? d.lastError ?? '–'}</td>
          <td>{when(d.nextAttemptAt)}</td>
          {props.action && <td>{props.action(d) as never}</td>}
        </tr>
      )}
    />
  );
}

/**
 * /app/merchant/webhooks: each endpoint with its state, a test send, pause or resume, and its last
 * 100 deliveries with a replay button each. Creating, editing and rotating stay in the API.
 */
export function registerMerchantWebhookPages(router: Hono<AppEnv>, run: PageRunner) {
  const merchant = ['merchant'] as const;
  router.get(
    '/app/merchant/webhooks',
    run.page([...merchant], async (c, p) => {
      const { endpoints } = await p.api.get<{ endpoints: Endpoint[] }>('/v1/webhook-endpoints');
      const logs = await Promise.all(
        endpoints.map((e) =>
          p.api.get<{ deliveries: DeliveryRow[] }>(`/v1/webhook-endpoints/${encodeURIComponent(e.id)}/deliveries`),
        ),
      );
      const done = c.req.query('done');
      return c.html(
        <Layout title="Webhooks" role="merchant" csrf={p.session.csrf} notice={done || undefined}>
          <p>
            Endpoints receive your sale and commission events, signed per Standard Webhooks. Create, edit and rotate their secrets
            through <code>/v1/webhook-endpoints</code> (docs/webhooks.md). A test send and a replay leave at the next dispatch,
            within seconds. Times are UTC.
          </p>
          {endpoints.length === 0 && <p>No webhook endpoints yet.</p>}
          {endpoints.map((e, i) => {
            const base = `/app/merchant/webhooks/${encodeURIComponent(e.id)}`;
            return (
              <section aria-labelledby={`endpoint-${e.id}`} data-endpoint={e.id}>
                <h2 id={`endpoint-${e.id}`}>
                  {e.description || e.url} <small>({e.id})</small>
                </h2>
                <p>
                  <code>{e.url}</code> · {e.events.join(', ')} · <span data-field="state">{state(e)}</span>
                </p>
                <p>
                  <ActionButton action={`${base}/test`} csrf={p.session.csrf} label="Send test" name={e.id} />{' '}
                  {e.pausedAt === null && e.disabledAt === null ? (
                    <ActionButton action={`${base}/pause`} csrf={p.session.csrf} label="Pause" name={e.id} />
                  ) : (
                    <ActionButton action={`${base}/resume`} csrf={p.session.csrf} label="Resume" name={e.id} />
                  )}
                </p>
                <DeliveryTable
                  testId={`deliveries-${e.id}`}
                  rows={logs[i]!.deliveries}
                  action={(d) => (
                    <ActionButton
                      action={`/app/merchant/webhook-deliveries/${encodeURIComponent(d.id)}/replay`}
                      csrf={p.session.csrf}
                      label="Replay"
                      name={d.id}
                    />
                  )}
                />
              </section>
            );
          })}
        </Layout>,
      );
    }),
  );

  const endpointAction = (action: 'test' | 'pause' | 'resume', notice: string) =>
    router.post(
      `/app/merchant/webhooks/:id/${action}`,
      run.action([...merchant], async (c, p) => {
        const id = c.req.param('id') ?? '';
        await p.api.send('POST', `/v1/webhook-endpoints/${encodeURIComponent(id)}/${action}`);
        return c.redirect(`/app/merchant/webhooks${query({ done: `${id}: ${notice}` })}`, 303);
      }),
    );
  endpointAction('test', 'test event queued');
  endpointAction('pause', 'paused; deliveries wait until you resume');
  endpointAction('resume', 'resumed; waiting deliveries leave at the next dispatch');

  router.post(
    '/app/merchant/webhook-deliveries/:id/replay',
    run.action([...merchant], async (c, p) => {
      const id = c.req.param('id') ?? '';
      await p.api.send('POST', `/v1/webhook-deliveries/${encodeURIComponent(id)}/replay`);
      return c.redirect(`/app/merchant/webhooks${query({ done: `${id}: queued again` })}`, 303);
    }),
  );
}
