import type { Hono } from 'hono';
import type { AppEnv } from '../env';
import { query } from './api-client';
import { Badge, Card } from './components';
import { DataTable, text } from './data-table';
import { ActionButton, Layout } from './layout';
import type { PostbackToken } from './merchant-api';
import type { PageRunner } from './page-runner';

const when = (iso: string | null) => (iso === null ? '–' : iso.slice(0, 16).replace('T', ' '));

/** A token's state as of `now`: a rotated token is "retiring" until its grace ends. */
function tokenState(token: PostbackToken, now: string): 'live' | 'retiring' | 'revoked' {
  if (token.revokedAt === null) return 'live';
  return token.revokedAt > now ? 'retiring' : 'revoked';
}

/** /app/merchant/postback-tokens: the postback tokens (prefix, created, last used) and revoking one. */
export function registerMerchantTokenPages(router: Hono<AppEnv>, run: PageRunner) {
  const merchant = ['merchant'] as const;
  router.get(
    '/app/merchant/postback-tokens',
    run.page([...merchant], async (c, p) => {
      const { tokens } = await p.api.get<{ tokens: PostbackToken[] }>('/v1/postback-tokens');
      const done = c.req.query('done');
      return c.html(
        <Layout
          title="Postback tokens"
          role="merchant"
          csrf={p.session.csrf}
          path={p.path}
          notice={done ? `Token ${done} revoked; postbacks carrying it are refused from now on.` : undefined}
        >
          <Card id="tokens" title={`Tokens (${tokens.length})`}>
            <p>
              A postback token travels in the postback's query string. Revoke one you no longer use or that may have leaked;
              rotate through <code>POST /v1/postback-tokens/&#123;id&#125;/rotate</code> to switch a shop over with a grace
              period. Times are UTC; last use is recorded to the minute.
            </p>
            <DataTable
              testId="postback-tokens-table"
              label="Postback tokens"
              columns={[text('Token'), text('Created'), text('Last used'), text('State'), text('Revoke')]}
              rows={tokens}
              empty="No postback tokens."
              row={(token) => {
                const state = tokenState(token, p.now);
                return (
                  <tr data-token={token.id}>
                    <th scope="row">
                      <code>{token.prefix}…</code> ({token.id})
                    </th>
                    <td>{when(token.createdAt)}</td>
                    <td>{when(token.lastUsedAt)}</td>
                    <td>
                      <Badge status={state} field="state" /> {state === 'live' ? '' : when(token.revokedAt)}
                    </td>
                    <td>
                      {state !== 'revoked' && (
                        <ActionButton
                          action={`/app/merchant/postback-tokens/${encodeURIComponent(token.id)}/revoke`}
                          csrf={p.session.csrf}
                          label="Revoke"
                          name={token.prefix}
                          danger
                        />
                      )}
                    </td>
                  </tr>
                );
              }}
            />
          </Card>
        </Layout>,
      );
    }),
  );

  router.post(
    '/app/merchant/postback-tokens/:id/revoke',
    run.action([...merchant], async (c, p) => {
      const id = c.req.param('id') ?? '';
      await p.api.send('POST', `/v1/postback-tokens/${encodeURIComponent(id)}/revoke`);
      return c.redirect(`/app/merchant/postback-tokens${query({ done: id })}`, 303);
    }),
  );
}
