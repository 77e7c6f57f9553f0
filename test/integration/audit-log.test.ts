import { parse } from 'csv-parse/sync';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { orderEvent, sendOrder } from '../support/shop';
import { DashboardBrowser } from '../support/dashboard-browser';
import { ADMIN_TOKEN, createTenant, startTestApp, TEST_IP_HEADER, type Tenant, type TestApp } from '../support/test-app';

let t: TestApp;
let a: Tenant;
let b: Tenant;
let finance: string;
const DAY = 86_400_000;

beforeEach(async () => {
  t = await startTestApp();
  a = await createTenant(t, 'A');
  b = await createTenant(t, 'B');
  finance = ((await (await t.request('/v1/finance-keys', { method: 'POST', key: ADMIN_TOKEN })).json()) as { apiKey: string })
    .apiKey;
});
afterEach(async () => {
  await t.close();
});

type Page = {
  entries: {
    id: string;
    action: string;
    objectId: string | null;
    actor: { keyId: string | null; role: string };
    summary: { before?: unknown; after?: unknown };
    clientAddress: string;
  }[];
  nextCursor: string | null;
};

async function audit(key: string, query = ''): Promise<Page> {
  const response = await t.request(`/v1/audit${query}`, { key });
  expect(response.status).toBe(200);
  return (await response.json()) as Page;
}

describe('audit log', () => {
  it('records a plan change with before and after, who and from where', async () => {
    const plan = { default: { percent: '12.5' } };
    const changed = await t.request(`/v1/programs/${a.program.id}`, {
      method: 'PATCH',
      key: a.merchant.apiKey,
      json: { plan },
      headers: { [TEST_IP_HEADER]: '198.51.100.7' },
    });
    expect(changed.status).toBe(200);
    const { entries } = await audit(a.merchant.apiKey, '?action=program.update');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      action: 'program.update',
      objectId: a.program.id,
      actor: { role: 'merchant' },
      clientAddress: '198.51.100.7',
      summary: { before: { plan: { default: { percent: '8' } } }, after: { plan } },
    });
    // A failed change leaves no row.
    const refused = await t.request(`/v1/programs/${a.program.id}`, {
      method: 'PATCH',
      key: a.merchant.apiKey,
      json: { plan: { default: { percent: 'x' } } },
    });
    expect(refused.status).toBe(422);
    expect((await audit(a.merchant.apiKey, '?action=program.update')).entries).toHaveLength(1);
  });

  it('records a key rotation without the new secret', async () => {
    const keys = (await (await t.request('/v1/keys', { key: a.merchant.apiKey })).json()) as { keys: { id: string }[] };
    const keyId = keys.keys[0]!.id;
    const rotated = await t.request(`/v1/keys/${keyId}/rotate`, {
      method: 'POST',
      key: a.merchant.apiKey,
      json: { graceSeconds: 60 },
    });
    expect(rotated.status).toBe(201);
    const { apiKey, keyId: newKeyId } = (await rotated.json()) as { apiKey: string; keyId: string };
    const row = t.store.raw.prepare("SELECT * FROM audit_log WHERE action = 'key.rotate'").get() as Record<string, unknown>;
    expect(row).toMatchObject({ object_id: keyId, actor_role: 'merchant', object_type: 'key' });
    expect(JSON.parse(row.summary as string)).toEqual({ after: { graceSeconds: 60, keyId: newKeyId } });
    const everything = JSON.stringify(t.store.raw.prepare('SELECT * FROM audit_log').all());
    expect(everything).not.toContain(apiKey);
    expect(everything).not.toContain(a.merchant.apiKey);
    expect(everything).not.toContain(a.merchant.webhookSecret);
  });

  it('records a payout created and marked paid, for finance to read and export as CSV', async () => {
    const visit = await t.request(`/c/${a.link.code}`, { headers: { 'user-agent': 'Mozilla/5.0 Chrome/131.0' } });
    const clickId = new URL(visit.headers.get('location')!).searchParams.get('clid')!;
    await sendOrder(
      t,
      a.merchant.webhookSecret,
      orderEvent(a.program.id, 'order.completed', { id: 'O-1', clickId }, t.clock.now().toISOString()),
    );
    t.clock.advance(15 * DAY);
    await t.request('/v1/admin/batch', { method: 'POST', key: ADMIN_TOKEN, json: { asOf: t.clock.now().toISOString() } });
    const run = await t.request('/v1/payouts', {
      method: 'POST',
      key: finance,
      json: { asOf: t.clock.now().toISOString(), minimumAmount: '0.01' },
    });
    expect(run.status).toBe(201);
    const { id } = (await run.json()) as { id: string };
    expect((await t.request(`/v1/payouts/${id}/paid`, { method: 'POST', key: finance })).status).toBe(200);
    const page = await audit(finance, '?objectType=payout');
    expect(page.entries.map((e) => [e.action, e.objectId, e.actor.role])).toEqual([
      ['payout.paid', id, 'finance'],
      ['payout.create', id, 'finance'],
    ]);
    expect(page.entries[0]!.summary).toEqual({ after: { status: 'paid' } });
    const csv = await t.request('/v1/audit?objectType=payout&format=csv', { key: finance });
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const rows = parse(await csv.text(), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => [r.action, r.object_id, r.actor_role])).toEqual([
      ['payout.paid', id, 'finance'],
      ['payout.create', id, 'finance'],
    ]);
  });

  it('pages with a cursor and filters by actor and time', async () => {
    for (const name of ['one', 'two', 'three'])
      await t.request(`/v1/programs/${a.program.id}`, { method: 'PATCH', key: a.merchant.apiKey, json: { name } });
    const first = await audit(a.merchant.apiKey, '?action=program.update&limit=2');
    expect(first.entries.map((e) => e.summary.after)).toEqual([{ name: 'three' }, { name: 'two' }]);
    const second = await audit(a.merchant.apiKey, `?action=program.update&limit=2&cursor=${first.nextCursor}`);
    expect(second.entries.map((e) => e.summary.after)).toEqual([{ name: 'one' }]);
    expect(second.nextCursor).toBeNull();
    const actor = first.entries[0]!.actor.keyId!;
    expect((await audit(finance, `?actor=${actor}&action=program.update`)).entries).toHaveLength(3);
    const later = new Date(t.clock.now().getTime() + DAY).toISOString();
    expect((await audit(finance, `?from=${encodeURIComponent(later)}`)).entries).toHaveLength(0);
  });

  it("keeps a merchant to its own tenant's rows; admin sees all", async () => {
    await t.request(`/v1/programs/${a.program.id}`, { method: 'PATCH', key: a.merchant.apiKey, json: { name: 'A2' } });
    await t.request(`/v1/programs/${b.program.id}`, { method: 'PATCH', key: b.merchant.apiKey, json: { name: 'B2' } });
    const seenByB = await audit(b.merchant.apiKey);
    expect(seenByB.entries.length).toBeGreaterThan(0);
    expect(seenByB.entries.every((e) => e.objectId !== a.program.id)).toBe(true);
    expect(seenByB.entries.map((e) => e.objectId)).toContain(b.program.id);
    const all = await audit(ADMIN_TOKEN, '?action=program.update');
    expect(all.entries.map((e) => e.objectId).sort()).toEqual([a.program.id, b.program.id].sort());
    expect((await t.request('/v1/audit', { key: a.affiliate.apiKey })).status).toBe(403);
  });

  it('refuses a direct UPDATE or DELETE on the table', async () => {
    await t.request(`/v1/programs/${a.program.id}`, { method: 'PATCH', key: a.merchant.apiKey, json: { name: 'A2' } });
    expect(() => t.store.raw.prepare("UPDATE audit_log SET action = 'nothing'").run()).toThrow(/append-only/);
    expect(() => t.store.raw.prepare('DELETE FROM audit_log').run()).toThrow(/append-only/);
    expect(
      (t.store.raw.prepare("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'program.update'").get() as { n: number }).n,
    ).toBe(1);
  });

  it("records a plan saved on the dashboard with the visitor's address, and shows it on the audit page", async () => {
    const browser = new DashboardBrowser(t);
    expect((await browser.signIn(a.merchant.apiKey)).status).toBe(303);
    const csrf = await browser.token('/app/merchant/plan');
    const plan = { default: { percent: '9' } };
    const saved = await browser.fetch('/app/merchant/plan', {
      method: 'POST',
      body: new URLSearchParams({ csrf, plan: JSON.stringify(plan), program: a.program.id, intent: 'save' }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', [TEST_IP_HEADER]: '192.0.2.77' },
    });
    expect(saved.status).toBe(200);
    const { entries } = await audit(a.merchant.apiKey, '?action=program.update');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ objectId: a.program.id, clientAddress: '192.0.2.77', summary: { after: { plan } } });
    const page = await (await browser.fetch('/app/audit?action=program.update')).text();
    expect(page).toContain('data-testid="audit-table"');
    expect(page).toContain(a.program.id);
    expect(page).toContain('192.0.2.77');
    const csv = await browser.fetch('/app/audit.csv?action=program.update');
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(await csv.text()).toContain('program.update');
  });

  it('never stores a connector secret or REST credentials, only that they were set', async () => {
    const secret = 'shpss_very-secret-value-123';
    const set = await t.request(`/v1/programs/${a.program.id}/connectors/woocommerce`, {
      method: 'PUT',
      key: a.merchant.apiKey,
      json: {
        secret,
        restApi: { baseUrl: 'https://shop.example', consumerKey: 'ck_public-ish-4242', consumerSecret: 'cs_hidden-4242' },
      },
    });
    expect(set.status).toBe(200);
    const row = t.store.raw.prepare("SELECT summary FROM audit_log WHERE action = 'program.connector_set'").get() as {
      summary: string;
    };
    expect(JSON.parse(row.summary)).toMatchObject({
      after: {
        secret: '[redacted]',
        restApi: { baseUrl: 'https://shop.example', consumerKey: '[redacted]', consumerSecret: '[redacted]' },
      },
    });
    for (const value of [secret, 'ck_public-ish-4242', 'cs_hidden-4242']) expect(row.summary).not.toContain(value);
  });
});
