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
import { startReceiver } from '../support/webhook-receiver';

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
      // B lists the commission with its lock date (completion + 0 lock days: SQLite's strftime
      // compiled for PostgreSQL), filtered by it.
      const completed = (await db.query<{ completed_at: string }>('SELECT completed_at FROM orders')).rows[0]!.completed_at;
      const lockDate = new Date(Date.parse(completed)).toISOString();
      const day = lockDate.slice(0, 10);
      const listed = await fetch(`${b!.url}/v1/commissions?dateBy=lock&from=${day}&to=${day}`, {
        headers: { authorization: `Bearer ${seeded.merchantKey}` },
      });
      expect(listed.status).toBe(200);
      const { commissions } = (await listed.json()) as { commissions: { amount: string; lockDate: string }[] };
      expect(commissions.map((c) => [c.amount, c.lockDate])).toEqual([['9.60', lockDate]]);

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

  // Migrations 0020, 0021 and 0023's twins: a manual adjustment (no order, a retry, a reversal),
  // its audit rows and its webhooks (fanned out and sent by the server's dispatcher) through the
  // real server, and the append-only tables refusing edits in the store.
  it('adds, replays and reverses a manual adjustment, audits it, sends its webhooks, and refuses edits of both logs', async () => {
    const url = await postgres.database();
    const receiver = await startReceiver();
    const server = await startServer({
      dataDir: makeTempDir(),
      env: { DATABASE_URL: url, BATCH_INTERVAL_SECONDS: '0', WEBHOOK_INTERVAL_SECONDS: '1', WEBHOOK_ALLOW_PRIVATE: 'true' },
    });
    servers.push(server);
    const seeded = await seedLink(server.url, TEST_ADMIN_TOKEN);
    const endpoint = await fetch(`${server.url}/v1/webhook-endpoints`, {
      method: 'POST',
      headers: { authorization: `Bearer ${seeded.merchantKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: `${receiver.url}/hook`, events: ['commission.created', 'commission.reversed'] }),
    });
    expect(endpoint.status).toBe(201);
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${seeded.merchantKey}`, 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
    const body = {
      programId: seeded.programId,
      affiliateId: seeded.affiliateId,
      amount: '12.34',
      currency: 'EUR',
      reason: 'bonus',
    };
    const made = await post('/v1/adjustments', body, { 'idempotency-key': 'pg-1' });
    expect(made.status).toBe(201);
    const adjustment = (await made.json()) as { id: string };
    expect(adjustment).toMatchObject({ id: 'adj_1', entryId: 'manual:1', amount: '12.34', orderId: null, status: 'approved' });
    const retried = await post('/v1/adjustments', body, { 'idempotency-key': 'pg-1' });
    expect(retried.status).toBe(200);
    const reversed = await post(`/v1/adjustments/${adjustment.id}/reverse`, { reason: 'entered twice' });
    expect(reversed.status).toBe(201);
    expect(await reversed.json()).toMatchObject({ id: 'adj_2', amount: '-12.34', reverses: 'adj_1' });

    // The commission list's lock date (SQLite's strftime, compiled for PostgreSQL), listed and filtered by.
    const listed = await fetch(`${server.url}/v1/commissions?dateBy=lock&from=2000-01-01&to=2100-01-01`, {
      headers: { authorization: `Bearer ${seeded.merchantKey}` },
    });
    expect(listed.status).toBe(200);
    const db = new pg.Client(url);
    await db.connect();
    try {
      const ledger = await db.query(
        "SELECT entry_id, order_id, amount_minor FROM ledger_entries WHERE kind = 'manual' ORDER BY id",
      );
      expect(ledger.rows).toEqual([
        { entry_id: 'manual:1', order_id: null, amount_minor: '1234' },
        { entry_id: 'manual:2', order_id: null, amount_minor: '-1234' },
      ]);
      const audit = await db.query("SELECT action, object_id FROM audit_log WHERE action LIKE 'adjustment.%' ORDER BY id");
      expect(audit.rows).toEqual([
        { action: 'adjustment.create', object_id: 'adj_1' },
        { action: 'adjustment.reverse', object_id: 'adj_2' },
      ]);
      await expect(db.query("UPDATE audit_log SET action = 'x'")).rejects.toThrow(/append-only/);
      await expect(db.query('DELETE FROM audit_log')).rejects.toThrow(/append-only/);
      await expect(db.query('TRUNCATE audit_log')).rejects.toThrow(/append-only/);
      await expect(db.query('UPDATE adjustments SET amount_minor = 1')).rejects.toThrow(/append-only/);
      await expect(db.query('DELETE FROM adjustments')).rejects.toThrow(/append-only/);
      await expect(
        db.query(
          `INSERT INTO ledger_entries (entry_id, program_id, affiliate_id, slot, kind, status, amount_minor, currency, rule,
             plan_version, explanation, as_of, created_at, status_changed_at)
           SELECT 'x', program_id, affiliate_id, 'x', 'accrual', 'pending', 1, 'EUR', 'x', 0, 'x', 'x', 'x', 'x'
           FROM ledger_entries LIMIT 1`,
        ),
      ).rejects.toThrow(/ledger_entries_order_or_manual/);
      expect((await db.query('SELECT 1 FROM audit_log')).rowCount).toBeGreaterThanOrEqual(2);

      for (let i = 0; i < 100 && receiver.received.length < 2; i++) await new Promise((r) => setTimeout(r, 200));
      const sent = receiver.received.map((m) => JSON.parse(m.body) as { type: string; data: Record<string, unknown> });
      expect(sent.map((m) => [m.type, m.data.kind, m.data.amount, m.data.orderId])).toEqual([
        ['commission.created', 'manual', '12.34', null],
        ['commission.reversed', 'manual', '-12.34', null],
      ]);
    } finally {
      await db.end();
      await receiver.close();
    }
  }, 120_000);
});
