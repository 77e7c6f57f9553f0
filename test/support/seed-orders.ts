import { parseId } from '../../src/domain/ids';
import { orderEvent, sendOrder } from './shop';
import { type Tenant, type TestApp } from './test-app';

/**
 * `count` attributed, completed orders in the tenant's program, one every `spacingMinutes`
 * back from the app clock's present: one real order through the signed webhook (a click-
 * attributed, completed order with its snapshot and receipt), then copied in SQL with new ids
 * and times. Thousands of orders in a second, each one the intake itself could have stored.
 */
export async function seedAttributedOrders(t: TestApp, tenant: Tenant, count: number, spacingMinutes = 20) {
  const visit = await t.request(`/c/${tenant.link.code}`, { headers: { 'user-agent': 'Mozilla/5.0 Chrome/131.0' } });
  const clickId = new URL(visit.headers.get('location')!).searchParams.get('clid')!;
  const template = orderEvent(tenant.program.id, 'order.paid', { id: 'SEED-0', clickId });
  for (const type of ['order.paid', 'order.completed']) {
    const response = await sendOrder(t, tenant.merchant.webhookSecret, { ...template, type });
    if (response.status !== 200) throw new Error(`seed order: ${response.status} ${await response.text()}`);
  }
  const raw = t.store.raw;
  const columns = (raw.prepare('PRAGMA table_info(orders)').all() as { name: string }[])
    .map((c) => c.name)
    .filter((c) => c !== 'id');
  const copied = columns.map((c) =>
    c === 'external_id'
      ? "'SEED-' || n.i"
      : c === 'placed_at' || c === 'completed_at' || c === 'paid_at'
        ? `strftime('%Y-%m-%dT%H:%M:%fZ', o.${c}, '-' || (n.i * ${spacingMinutes}) || ' minutes')`
        : `o.${c}`,
  );
  raw
    .prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
       INSERT INTO orders (${columns.join(', ')}) SELECT ${copied.join(', ')} FROM n, orders o WHERE o.external_id = 'SEED-0' AND o.program_id = ?`,
    )
    .run(count - 1, parseId('program', tenant.program.id));
}
