import type { Hono } from 'hono';
import type { AppEnv } from '../env';
import { query } from './api-client';
import { Layout } from './layout';
import type { OrderDetail, OrderSummary } from './merchant-api';
import { OrdersTable } from './merchant-orders';
import type { PageRunner } from './page-runner';

/** Held orders are looked for in at most this many orders (4 API pages). */
const HELD_SCAN_PAGES = 4;

/** /app/merchant/held: orders waiting for review, and the release and reject actions. */
export function registerMerchantHeldPages(router: Hono<AppEnv>, run: PageRunner) {
  const merchant = ['merchant'] as const;
  router.get(
    '/app/merchant/held',
    run.page([...merchant], async (c, p) => {
      // The API lists the held orders by page (held=true); those not yet decided are shown.
      const held: OrderSummary[] = [];
      let after: string | undefined;
      for (let page = 0; page < HELD_SCAN_PAGES; page++) {
        const result = await p.api.get<{ orders: OrderSummary[]; next: string | null }>(
          `/v1/orders${query({ limit: 200, after, held: 'true' })}`,
        );
        held.push(...result.orders.filter((o) => o.held));
        if (!result.next) break;
        after = result.next;
      }
      const reviewed = await Promise.all(held.map((o) => p.api.get<OrderDetail>(`/v1/orders/${encodeURIComponent(o.id)}`)));
      const waiting = held.filter((_, i) => reviewed[i]!.review === null);
      const done = c.req.query('done');
      return c.html(
        <Layout
          title="Held orders"
          role="merchant"
          csrf={p.session.csrf}
          notice={done ? `Order ${done}; the next batch applies it to the commission.` : undefined}
        >
          <section aria-labelledby="held-h">
            <h2 id="held-h">Waiting for review ({waiting.length})</h2>
            <p>A held order earns nothing until you release it; rejecting it reverses its commission.</p>
            <OrdersTable orders={waiting} csrf={p.session.csrf} actions />
          </section>
        </Layout>,
      );
    }),
  );

  for (const decision of ['release', 'reject'] as const) {
    router.post(
      `/app/merchant/orders/:id/${decision}`,
      run.action([...merchant], async (c, p) => {
        const id = c.req.param('id') ?? '';
        await p.api.send('POST', `/v1/orders/${encodeURIComponent(id)}/${decision}`);
        const outcome = decision === 'release' ? 'released' : 'rejected';
        return c.redirect(`/app/merchant/held${query({ done: `${id} ${outcome}` })}`, 303);
      }),
    );
  }
}
