import type { Hono } from 'hono';
import type { AppEnv } from '../env';
import { query } from './api-client';
import { Badge, Card, Named } from './components';
import { CountCell, DataTable, num, text } from './data-table';
import type { Formatter } from './format';
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

/** An endpoint's state in one word (for its badge) and what follows it (when, why). */
function state(e: Endpoint, fmt: Formatter): { word: string; detail: string } {
  if (e.disabledAt !== null) return { word: 'disabled', detail: `${fmt.dateTime(e.disabledAt)}: ${e.disabledReason ?? ''}` };
  if (e.pausedAt !== null) return { word: 'paused', detail: fmt.dateTime(e.pausedAt) };
  return { word: 'active', detail: '' };
}

/** The delivery log as a table: event, status, attempts, last answer; `action` adds a column of buttons. */
export function DeliveryTable(props: {
  testId: string;
  label: string;
  fmt: Formatter;
  rows: DeliveryRow[];
  action?: (d: DeliveryRow) => unknown;
}) {
  const when = (iso: string | null) => (iso === null ? '–' : props.fmt.dateTime(iso));
  return (
    <DataTable
      testId={props.testId}
      label={props.label}
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
          <td data-value={d.createdAt}>{when(d.createdAt)}</td>
          <td>
            <Named id={d.eventId} name={d.eventType} />
          </td>
          <td>
            <Badge status={d.status} field="status" />
          </td>
          <CountCell fmt={props.fmt} value={d.attempts} field="attempts" />
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
        <Layout title="Webhooks" role="merchant" csrf={p.session.csrf} path={p.path} notice={done || undefined}>
          <Card id="about" title="How webhooks reach you">
            <p>
              Endpoints receive your sale and commission events, signed per Standard Webhooks. Create, edit and rotate their
              secrets through <code>/v1/webhook-endpoints</code> (docs/webhooks.md). A test send and a replay leave at the next
              dispatch, within seconds. Times are UTC.
            </p>
            {endpoints.length === 0 && <p data-testid="no-endpoints">No webhook endpoints yet.</p>}
          </Card>
          {endpoints.map((e, i) => {
            const base = `/app/merchant/webhooks/${encodeURIComponent(e.id)}`;
            const s = state(e, p.fmt);
            const name = e.description || e.url;
            return (
              <div data-endpoint={e.id}>
                <Card
                  id={`endpoint-${e.id}`}
                  title={<Named id={e.id} name={name} />}
                  actions={
                    <span class="inline">
                      <ActionButton action={`${base}/test`} csrf={p.session.csrf} label="Send test" name={name} />
                      {e.pausedAt === null && e.disabledAt === null ? (
                        <ActionButton action={`${base}/pause`} csrf={p.session.csrf} label="Pause" name={name} />
                      ) : (
                        <ActionButton action={`${base}/resume`} csrf={p.session.csrf} label="Resume" name={name} />
                      )}
                    </span>
                  }
                >
                  <dl class="facts">
                    <dt>URL</dt>
                    <dd>
                      <code>{e.url}</code>
                    </dd>
                    <dt>Events</dt>
                    <dd>{e.events.join(', ')}</dd>
                    <dt>State</dt>
                    <dd>
                      <Badge status={s.word} field="state" /> {s.detail}
                    </dd>
                  </dl>
                  <h3>Last deliveries ({p.fmt.count(logs[i]!.deliveries.length)})</h3>
                  <DeliveryTable
                    testId={`deliveries-${e.id}`}
                    label={`Deliveries to ${name}`}
                    fmt={p.fmt}
                    rows={logs[i]!.deliveries}
                    action={(d) => (
                      <ActionButton
                        action={`/app/merchant/webhook-deliveries/${encodeURIComponent(d.id)}/replay`}
                        csrf={p.session.csrf}
                        label="Replay"
                        name={`${d.eventType} ${d.id}`}
                      />
                    )}
                  />
                </Card>
              </div>
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
