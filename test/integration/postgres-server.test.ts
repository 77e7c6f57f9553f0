import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { hasPostgres, postgresForFile, postgresSkipReason } from '../support/postgres-cluster';
import { seedLink } from '../support/seed-link';
import {
  killAllServers,
  makeTempDir,
  removeDir,
  type ServerProcess,
  startServer,
  TEST_ADMIN_TOKEN,
} from '../support/server-process';

const BROWSER_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

/**
 * The real server, twice, on one PostgreSQL database (DATABASE_URL): the schema is applied once
 * while both start, clicks sent to either are committed before their 302 and counted unique
 * once per visitor across both, an order posted to one is seen by the other, and a key revoked
 * through one is refused by the other on its next request.
 */
describe.skipIf(!hasPostgres)(`two servers on one PostgreSQL${postgresSkipReason ? ` (${postgresSkipReason})` : ''}`, () => {
  const postgres = postgresForFile(afterAll);
  const servers: ServerProcess[] = [];
  afterAll(async () => {
    killAllServers();
    for (const s of servers) removeDir(s.dataDir);
  });

  it('shares clicks, orders, the batch, a payout and keys between instances', async () => {
    const url = await postgres.database();
    const env = { DATABASE_URL: url, BATCH_INTERVAL_SECONDS: '0', WEBHOOK_INTERVAL_SECONDS: '0' };
    const [a, b] = await Promise.all([
      startServer({ dataDir: makeTempDir(), env }),
      startServer({ dataDir: makeTempDir(), env }),
    ]);
    servers.push(a!, b!);
    for (const s of [a!, b!]) {
      expect(s.output()).toMatch(/store: PostgreSQL at 127\.0\.0\.1:\d+\//);
      expect(s.output()).toMatch(/only ONE instance may report/);
    }
    expect([a!, b!].filter((s) => s.output().includes('migrations applied: 0001_schema.sql'))).toHaveLength(1);

    const seeded = await seedLink(a!.url, TEST_ADMIN_TOKEN);
    // Three visitors, four clicks each, alternating between the instances.
    const clickIds: string[] = [];
    for (let i = 0; i < 12; i++) {
      const server = i % 2 ? b! : a!;
      const response = await fetch(`${server.url}/c/${seeded.code}`, {
        redirect: 'manual',
        headers: { 'user-agent': BROWSER_UA, 'x-forwarded-for': `198.51.100.${i % 3}` },
      });
      expect(response.status).toBe(302);
      clickIds.push(new URL(response.headers.get('location')!).searchParams.get('clid')!);
    }
    const db = new pg.Client(url);
    await db.connect();
    try {
      const stored = await db.query<{ click_id: string; is_unique: string }>('SELECT click_id, is_unique FROM clicks');
      expect(stored.rows.map((r) => r.click_id).sort()).toEqual([...clickIds].sort());
      // Without TRUST_PROXY every click comes from 127.0.0.1 with one agent: one visitor, one unique click.
      expect(stored.rows.filter((r) => Number(r.is_unique) === 1)).toHaveLength(1);

      // An order through B's postback, attributed to a click made on A.
      const token = (
        (await (
          await fetch(`${b!.url}/v1/postback-tokens`, {
            method: 'POST',
            headers: { authorization: `Bearer ${seeded.merchantKey}` },
          })
        ).json()) as { token: string }
      ).token;
      const query = new URLSearchParams({
        token,
        programId: seeded.programId,
        orderId: 'PG-1',
        amount: '120.00',
        currency: 'EUR',
        clickId: clickIds[0]!,
      });
      const posted = await fetch(`${b!.url}/postback?${query}`);
      expect(posted.status).toBe(200);
      expect(await posted.json()).toMatchObject({
        id: 'PG-1',
        status: 'paid',
        attribution: { method: 'click', affiliateId: seeded.affiliateId },
      });
      const replay = await fetch(`${a!.url}/postback?${query}`);
      expect(await replay.json()).toMatchObject({ id: 'PG-1', duplicate: true });
      const view = await fetch(`${a!.url}/v1/orders/PG-1`, { headers: { authorization: `Bearer ${seeded.merchantKey}` } });
      expect(await view.json()).toMatchObject({ revenue: '120.00' });
      expect((await db.query('SELECT 1 FROM orders')).rowCount).toBe(1);
      expect((await db.query('SELECT 1 FROM order_events')).rowCount).toBe(1);

      // The order completes (no lock period), the batch on B approves its 8 %, a payout run on A pays it.
      const admin = { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' };
      const patched = await fetch(`${a!.url}/v1/programs/${seeded.programId}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${seeded.merchantKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ lockDays: 0 }),
      });
      expect(patched.status).toBe(200);
      query.set('status', 'completed');
      expect(await (await fetch(`${a!.url}/postback?${query}`)).json()).toMatchObject({ status: 'completed', duplicate: false });
      const asOf = new Date().toISOString();
      const batch = await fetch(`${b!.url}/v1/admin/batch`, { method: 'POST', headers: admin, body: JSON.stringify({ asOf }) });
      expect(batch.status).toBe(200);
      const ledger = await db.query<{ amount_minor: string; status: string }>('SELECT amount_minor, status FROM ledger_entries');
      expect(ledger.rows.map((r) => [Number(r.amount_minor), r.status])).toEqual([[960, 'approved']]);
      const finance = (
        (await (await fetch(`${a!.url}/v1/finance-keys`, { method: 'POST', headers: admin })).json()) as { apiKey: string }
      ).apiKey;
      // 20 payout runs at once, half through each instance: the entry is paid once.
      const runs = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          fetch(`${(i % 2 ? b! : a!).url}/v1/payouts`, {
            method: 'POST',
            headers: { authorization: `Bearer ${finance}`, 'content-type': 'application/json' },
            body: JSON.stringify({ asOf, minimumAmount: '1.00' }),
          }),
        ),
      );
      const statuses = runs.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s !== 201).every((s) => s === 422 || s === 409)).toBe(true);
      expect((await db.query('SELECT 1 FROM payouts')).rowCount).toBe(1);
      expect((await db.query('SELECT 1 FROM payout_entries WHERE active = 1')).rowCount).toBe(1);
      const lines = await db.query<{ amount_minor: string; currency: string }>('SELECT amount_minor, currency FROM payout_lines');
      expect(lines.rows.map((r) => [Number(r.amount_minor), r.currency])).toEqual([[960, 'EUR']]);

      // A key revoked through A is refused by B on its very next request (keys are never cached).
      const auth = (key: string) => ({ authorization: `Bearer ${key}` });
      expect((await fetch(`${b!.url}/v1/links`, { headers: auth(seeded.affiliateKey) })).status).toBe(200);
      const { keys } = (await (await fetch(`${a!.url}/v1/keys`, { headers: auth(TEST_ADMIN_TOKEN) })).json()) as {
        keys: { id: string; role: string }[];
      };
      const affiliateKey = keys.find((k) => k.role === 'affiliate')!;
      const revoked = await fetch(`${a!.url}/v1/keys/${affiliateKey.id}/revoke`, {
        method: 'POST',
        headers: auth(TEST_ADMIN_TOKEN),
      });
      expect(revoked.status).toBe(200);
      expect((await fetch(`${b!.url}/v1/links`, { headers: auth(seeded.affiliateKey) })).status).toBe(401);
    } finally {
      await db.end();
    }
  }, 120_000);
});
