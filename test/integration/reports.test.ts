import { parse } from 'csv-parse/sync';
import { sql } from 'kysely';
import { z } from 'zod';
import { runBatchJob } from '../../src/batch/batch-job';
import { type ClickHouse, ClickHouseError } from '../../src/clickhouse/clickhouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderEvent, sendOrder } from '../support/shop';
import {
  ADMIN_TOKEN,
  approve,
  createAffiliate,
  createLink,
  createMerchant,
  createProgram,
  openTestReportStore,
  startTestApp,
  TEST_IP_HEADER,
  type TestApp,
} from '../support/test-app';

/**
 * A day worked out by hand (program in EUR, 10% on every line, 14-day lock), all on 2026-11-25 UTC:
 *
 *   link A1 (affiliate A, sub1 "spring"): visitor 1 clicks 3× (1 unique), visitor 2 once (unique),
 *     a crawler once (a bot: not counted)                         → A: 4 clicks, 2 unique
 *   link B1 (affiliate B, sub1 "=cmd"): two visitors once each    → B: 2 clicks, 2 unique
 *   O1 via A: 2 × 49.90 − 5.00 = 94.80 → 9.48, completed, approved 15 days later (settled)
 *   O2 via A: 1 × 100.00 → 10.00, then refunded in full          → not an order, revenue 0, commission 0
 *   O3 via B: 2 × 100.00 = 200.00 → 20.00, then 1 refunded       → revenue 100.00, commission 10.00 (pending)
 *
 *   day total: 6 clicks, 4 unique, 2 orders, revenue 194.80, commission 19.48 (10.00 estimated,
 *   9.48 settled); conversion 2/6 = 0.3333; EPC 19.48/6 = 3.2467 → 3.25; cost ratio 19.48/194.80 = 0.1000
 */
let t: TestApp;
let merchant: { id: string; apiKey: string; webhookSecret: string };
let other: { id: string; apiKey: string };
let program: { id: string };
let a: { id: string; apiKey: string };
let b: { id: string; apiKey: string };
let linkA: { code: string; id: string };
let linkB: { code: string; id: string };

const DAY = 86_400_000;
const HUMAN = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';

async function click(code: string, ip: string, userAgent = HUMAN, query = ''): Promise<string> {
  const response = await t.request(`/c/${code}${query}`, {
    headers: { 'user-agent': userAgent, [TEST_IP_HEADER]: ip, 'cf-ipcountry': 'DE' },
  });
  expect(response.status).toBe(302);
  return new URL(response.headers.get('location')!).searchParams.get('clid')!;
}

async function event(type: string, id: string, order: Record<string, unknown>) {
  const response = await sendOrder(
    t,
    merchant.webhookSecret,
    orderEvent(program.id, type, { id, ...order }, t.clock.now().toISOString()),
  );
  expect(response.status).toBe(200);
}

async function batch() {
  const response = await t.request('/v1/admin/batch', {
    method: 'POST',
    key: ADMIN_TOKEN,
    json: { asOf: t.clock.now().toISOString() },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as { export: { clicks: number; orders: number; ledgerEntries: number; mismatches: number } };
}

async function report(key: string, query: string) {
  const response = await t.request(`/v1/reports/summary?${query}`, { key });
  return {
    status: response.status,
    body: (await response.json()) as { rows: Record<string, unknown>[]; error?: { code: string; message: string } },
  };
}

beforeAll(async () => {
  t = await startTestApp({}, { clickhouse: true });
  merchant = await createMerchant(t, 'Shoe shop');
  other = await createMerchant(t, 'Other shop');
  a = await createAffiliate(t, 'Blog A');
  b = await createAffiliate(t, 'Blog B');
  program = await createProgram(t, merchant.apiKey, { plan: { default: { percent: '10' } }, lockDays: 14 });
  await approve(t, merchant.apiKey, program.id, a.id);
  await approve(t, merchant.apiKey, program.id, b.id);
  linkA = await createLink(t, a.apiKey, { programId: program.id });
  linkB = await createLink(t, b.apiKey, { programId: program.id });

  const a1 = await click(linkA.code, '198.51.100.1', HUMAN, '?sub1=spring');
  await click(linkA.code, '198.51.100.1', HUMAN, '?sub1=spring');
  await click(linkA.code, '198.51.100.1', HUMAN, '?sub1=spring');
  const a2 = await click(linkA.code, '198.51.100.2', HUMAN, '?sub1=spring');
  await click(linkA.code, '198.51.100.3', 'Googlebot/2.1 (+http://www.google.com/bot.html)', '?sub1=spring');
  const b1 = await click(linkB.code, '198.51.100.4', HUMAN, '?sub1=%3Dcmd');
  await click(linkB.code, '198.51.100.5', HUMAN, '?sub1=%3Dcmd');

  t.clock.advance(60_000);
  await event('order.paid', 'O1', { clickId: a1 });
  await event('order.paid', 'O2', { clickId: a2, items: [{ sku: 'X', quantity: 1, unitPrice: '100.00' }] });
  await event('order.paid', 'O3', { clickId: b1, items: [{ sku: 'Y', quantity: 2, unitPrice: '100.00' }] });
  await batch();
  t.clock.advance(3_600_000);
  await event('order.refunded', 'O2', {
    clickId: a2,
    items: [{ sku: 'X', quantity: 1, unitPrice: '100.00', refundedQuantity: 1 }],
  });
  await event('order.refunded', 'O3', {
    clickId: b1,
    items: [{ sku: 'Y', quantity: 2, unitPrice: '100.00', refundedQuantity: 1 }],
  });
  await event('order.completed', 'O1', { clickId: a1 });
  t.clock.advance(15 * DAY);
  const last = await batch();
  expect(last.export.mismatches).toBe(0);
}, 60_000);

afterAll(async () => {
  await t?.close();
});

const dayRow = {
  key: '2026-11-25',
  currency: 'EUR',
  clicks: 6,
  uniqueClicks: 4,
  orders: 2,
  revenue: '194.80',
  commission: '19.48',
  commissionEstimated: '10.00',
  commissionSettled: '9.48',
  conversionRate: '0.3333',
  epc: '3.25',
  costRatio: '0.1000',
};

describe('the summary report, on a day worked out by hand', () => {
  it('totals the day: bots excluded, refunds netted, commission split into estimated and settled', async () => {
    const { status, body } = await report(merchant.apiKey, 'from=2026-11-25&to=2026-11-25');
    expect(status).toBe(200);
    expect(body.rows).toEqual([dayRow]);
  });

  it('splits the day by affiliate, with names', async () => {
    const { body } = await report(merchant.apiKey, 'from=2026-11-01&to=2026-11-30&groupBy=affiliate');
    expect(body.rows).toEqual([
      {
        key: a.id,
        label: 'Blog A',
        currency: 'EUR',
        clicks: 4,
        uniqueClicks: 2,
        orders: 1,
        revenue: '94.80',
        commission: '9.48',
        commissionEstimated: '0.00',
        commissionSettled: '9.48',
        conversionRate: '0.2500',
        epc: '2.37',
        costRatio: '0.1000',
      },
      {
        key: b.id,
        label: 'Blog B',
        currency: 'EUR',
        clicks: 2,
        uniqueClicks: 2,
        orders: 1,
        revenue: '100.00',
        commission: '10.00',
        commissionEstimated: '10.00',
        commissionSettled: '0.00',
        conversionRate: '0.5000',
        epc: '5.00',
        costRatio: '0.1000',
      },
    ]);
  });

  it('groups by sub-id and by visitor dimension from the clicks the orders came through', async () => {
    const bySub = await report(merchant.apiKey, 'from=2026-11-25&to=2026-11-25&groupBy=sub1');
    expect(bySub.body.rows.map((r) => [r.key, r.clicks, r.orders, r.commission])).toEqual([
      ['=cmd', 2, 1, '10.00'],
      ['spring', 4, 1, '9.48'],
    ]);
    const byLink = await report(merchant.apiKey, 'from=2026-11-25&to=2026-11-25&groupBy=link');
    expect(byLink.body.rows.map((r) => [r.key, r.label, r.clicks, r.uniqueClicks, r.commission])).toEqual([
      [linkA.id, linkA.code, 4, 2, '9.48'],
      [linkB.id, linkB.code, 2, 2, '10.00'],
    ]);
    const byCountry = await report(merchant.apiKey, 'from=2026-11-25&to=2026-11-25&groupBy=country');
    expect(byCountry.body.rows.map((r) => [r.key, r.clicks, r.orders, r.revenue])).toEqual([['DE', 6, 2, '194.80']]);
  });

  it('puts the day where the caller’s time zone puts it, whole-hour and half-hour zones alike', async () => {
    // 10:00 UTC is already 2026-11-26 at UTC+14; in Kolkata (UTC+5:30) it is 15:30 the same day.
    expect((await report(merchant.apiKey, 'from=2026-11-25&to=2026-11-25&tz=Pacific/Kiritimati')).body.rows).toEqual([]);
    expect((await report(merchant.apiKey, 'from=2026-11-26&to=2026-11-26&tz=Pacific/Kiritimati')).body.rows).toEqual([
      { ...dayRow, key: '2026-11-26' },
    ]);
    expect((await report(merchant.apiKey, 'from=2026-11-25&to=2026-11-25&tz=Asia/Kolkata')).body.rows).toEqual([dayRow]);
  });

  it('reads a time zone in any case, answering with its canonical name', async () => {
    for (const [tz, canonical] of [
      ['utc', 'UTC'],
      ['europe/berlin', 'Europe/Berlin'],
      ['Asia/Kolkata', 'Asia/Kolkata'],
      ['asia/kolkata', 'Asia/Calcutta'], // the name Intl resolves it to; the same zone in tzdata
    ]) {
      const { status, body } = await report(merchant.apiKey, `from=2026-11-25&to=2026-11-25&tz=${tz}`);
      expect(status).toBe(200);
      expect(body).toMatchObject({ tz: canonical });
      if (canonical !== 'Europe/Berlin') expect(body.rows).toEqual([dayRow]);
    }
  });

  it('shows an affiliate its own rows only, and nobody another tenant’s', async () => {
    const own = await report(a.apiKey, 'from=2026-11-25&to=2026-11-25');
    expect(own.body.rows.map((r) => [r.clicks, r.orders, r.commission])).toEqual([[4, 1, '9.48']]);
    expect((await report(a.apiKey, `from=2026-11-25&to=2026-11-25&affiliate=${b.id}`)).status).toBe(404);
    expect((await report(other.apiKey, 'from=2026-11-25&to=2026-11-25')).body.rows).toEqual([]);
    expect((await report(other.apiKey, `from=2026-11-25&to=2026-11-25&program=${program.id}`)).status).toBe(404);
    const byLink = await report(merchant.apiKey, `from=2026-11-25&to=2026-11-25&link=${linkA.id}`);
    expect(byLink.body.rows.map((r) => [r.clicks, r.commission])).toEqual([[4, '9.48']]);
  });

  it('exports CSV with formula cells neutralised and amounts left numeric', async () => {
    const response = await t.request('/v1/reports/summary?from=2026-11-25&to=2026-11-25&groupBy=sub1&format=csv', {
      key: merchant.apiKey,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/csv');
    const records = parse(await response.text(), { columns: true }) as Record<string, string>[];
    expect(records.map((r) => [r.key, r.clicks, r.commission, r.costRatio])).toEqual([
      ["'=cmd", '2', '10.00', '0.1000'],
      ['spring', '4', '9.48', '0.1000'],
    ]);
  });

  it('neutralises a formula after leading whitespace or a separator in a report CSV label', async () => {
    const id = Number(b.id.slice(4));
    t.store.raw.prepare('UPDATE affiliates SET name = ? WHERE id = ?').run('\u2029+cmd|calc', id);
    try {
      const response = await t.request('/v1/reports/summary?from=2026-11-25&to=2026-11-25&groupBy=affiliate&format=csv', {
        key: merchant.apiKey,
      });
      const records = parse(await response.text(), { columns: true }) as Record<string, string>[];
      expect(records.map((r) => r.label)).toEqual(['Blog A', "'\u2029+cmd|calc"]);
    } finally {
      t.store.raw.prepare('UPDATE affiliates SET name = ? WHERE id = ?').run('Blog B', id);
    }
  });

  it.each([
    ['groupBy=nope', 'groupBy'],
    ['foo=1', 'foo'],
    ['to=2026-11-24', 'to: must not be before from'],
    ['to=2027-11-26', 'at most 366 days'],
    ['tz=Mars/Olympus', 'unknown time zone'],
    ['from=9999-12-01&to=9999-12-01', 'from: must be a day from 2000-01-01 to 2099-12-31'],
    ['from=2199-12-01&to=2199-12-02', 'from: must be a day from 2000-01-01 to 2099-12-31'],
    ['from=1999-12-31', 'from: must be a day from 2000-01-01 to 2099-12-31'],
    ['program=aff_1', 'not a program id'],
  ])('refuses %s with a 422 naming the problem', async (bad, message) => {
    const query = new URLSearchParams({ from: '2026-11-25', to: '2026-11-25' });
    for (const [k, v] of new URLSearchParams(bad)) query.set(k, v);
    const { status, body } = await report(merchant.apiKey, query.toString());
    expect(status).toBe(422);
    expect(body.error?.code).toBe('validation_failed');
    expect(body.error?.message).toContain(message);
  });

  it('answers 503 with the envelope when ClickHouse fails, never zeros', async () => {
    const broken = await startTestApp({}, { clickhouse: true });
    try {
      const m = await createMerchant(broken, 'Broken');
      await createProgram(broken, m.apiKey);
      await broken.deps.reports!.clickhouse.command('DROP TABLE ledger_entries_v1');
      const response = await broken.request('/v1/reports/summary?from=2026-11-25&to=2026-11-25', { key: m.apiKey });
      expect(response.status).toBe(503);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('unavailable');
    } finally {
      await broken.close();
    }
  });
});

describe('reconciliation (P11)', () => {
  it('finds the SQL ledger and ClickHouse equal per program, day and status', async () => {
    const response = await t.request('/v1/reports/reconciliation?from=2026-11-25&to=2026-11-25', { key: merchant.apiKey });
    const body = (await response.json()) as {
      mismatches: number;
      ledger: { status: string; sqlAmount: string; clickhouseAmount: string; matches: boolean }[];
    };
    expect(response.status).toBe(200);
    expect(body.mismatches).toBe(0);
    expect(body.ledger.map((r) => [r.status, r.sqlAmount, r.clickhouseAmount, r.matches])).toEqual([
      ['approved', '9.48', '9.48', true],
      ['pending', '10.00', '10.00', true],
      ['reversed', '0.00', '0.00', true],
    ]);
  });

  it('keeps totals equal when every block is sent twice: clicks again by id, a block in flight at a crash again by token', async () => {
    const before = await report(merchant.apiKey, 'from=2026-11-25&to=2026-11-25');
    const db = t.deps.db;
    const real = t.deps.reports!.clickhouse;
    // Every click again (same id ranges, same tokens), every order and ledger entry queued again.
    await db.updateTable('clickhouse_exports').set({ exported_through: 0 }).where('stream', '=', 'clicks').execute();
    await db
      .insertInto('clickhouse_outbox')
      .columns(['stream', 'row_id'])
      .expression(db.selectFrom('orders').select([sql.lit('order').as('s'), 'id']))
      .execute();
    await db
      .insertInto('clickhouse_outbox')
      .columns(['stream', 'row_id'])
      .expression(db.selectFrom('ledger_entries').select([sql.lit('ledger').as('s'), 'id']))
      .execute();
    // The connection drops after ClickHouse took the ledger rows, before the store could note it.
    const flaky: ClickHouse = {
      ...real,
      insert: async (table, rows, token) => {
        await real.insert(table, rows, token);
        if (table === 'ledger_entries_v1') throw new ClickHouseError('unavailable', 'connection reset after the insert');
      },
    };
    await expect(
      runBatchJob({ ...t.deps, reports: { clickhouse: flaky, targetId: t.deps.reports!.targetId } }, t.clock.now()),
    ).rejects.toThrow('connection reset');
    const pending = await db
      .selectFrom('clickhouse_exports')
      .selectAll()
      .where('stream', '=', 'outbox')
      .executeTakeFirstOrThrow();
    expect(pending.pending_from).not.toBeNull();
    // The next run sends that block again under the same token; ClickHouse keeps it once.
    const resent = await batch();
    expect(resent.export).toMatchObject({ orders: 3, mismatches: 0 });
    expect(resent.export.ledgerEntries).toBeGreaterThan(0);
    expect((await report(merchant.apiKey, 'from=2026-11-25&to=2026-11-25')).body.rows).toEqual(before.body.rows);
    const [counted] = await real.query('SELECT count() AS n FROM clicks_v1', {}, z.object({ n: z.coerce.number() }));
    expect(counted!.n).toBe(7);
  });

  it('exports everything to a new, empty ClickHouse although the outbox was pruned', async () => {
    const outboxRows = await t.deps.db
      .selectFrom('clickhouse_outbox')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(outboxRows.n)).toBe(1); // pruned: every target has taken every change; the newest row stays
    const fresh = await openTestReportStore();
    try {
      const report = await runBatchJob({ ...t.deps, reports: fresh }, t.clock.now());
      const entries = await t.deps.db
        .selectFrom('ledger_entries')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      expect(report.export).toMatchObject({ clicks: 7, orders: 3, ledgerEntries: Number(entries.n), mismatches: 0 });
    } finally {
      await fresh.clickhouse.command(`DROP DATABASE IF EXISTS ${fresh.clickhouse.database}`);
      await fresh.clickhouse.close();
    }
  });

  it('shows a difference when ClickHouse holds a row the ledger does not', async () => {
    const ch = t.deps.reports!.clickhouse;
    const programNumber = Number(program.id.slice(4));
    await ch.insert(
      'ledger_entries_v1',
      [
        {
          entry_id: 'stray',
          version: 1,
          order_id: 999,
          program_id: programNumber,
          affiliate_id: 1,
          link_id: 0,
          placed_at: '2026-11-25 12:00:00',
          created_at: '2026-11-25 12:00:00',
          kind: 'accrual',
          status: 'pending',
          amount_minor: 123,
          currency: 'EUR',
          country: '',
          device: '',
          browser: '',
          os: '',
          sub1: '',
          sub2: '',
          sub3: '',
          sub4: '',
          sub5: '',
        },
      ],
      'test:stray',
    );
    const response = await t.request('/v1/reports/reconciliation?from=2026-11-25&to=2026-11-25', { key: merchant.apiKey });
    const body = (await response.json()) as {
      mismatches: number;
      ledger: { status: string; difference: string; matches: boolean }[];
    };
    expect(body.mismatches).toBe(1);
    expect(body.ledger.find((r) => !r.matches)).toMatchObject({ status: 'pending', difference: '-1.23' });
  });
});

describe("a recruiter's report", () => {
  it("shows its override commission but not its recruit's link or sub-ids", async () => {
    const shop = await createMerchant(t, 'Team shop');
    const lead = await createAffiliate(t, 'Team lead');
    const recruit = await createAffiliate(t, 'Recruit', { parentId: lead.id });
    const teamProgram = await createProgram(t, shop.apiKey, { plan: { default: { percent: '10' }, parentPercent: '10' } });
    await approve(t, shop.apiKey, teamProgram.id, recruit.id);
    const link = await createLink(t, recruit.apiKey, { programId: teamProgram.id });
    const clickId = await click(link.code, '198.51.100.9', HUMAN, '?sub1=private-campaign');
    t.clock.advance(60_000);
    const body = orderEvent(
      teamProgram.id,
      'order.paid',
      { id: 'T-1', clickId, items: [{ sku: 'Z', quantity: 1, unitPrice: '100.00' }] },
      t.clock.now().toISOString(),
    );
    expect((await sendOrder(t, shop.webhookSecret, body)).status).toBe(200);
    await batch();
    const day = t.clock.now().toISOString().slice(0, 10);
    // 100.00 × 10% = 10.00 to the recruit; 10.00 × 10% = 1.00 to the recruiter
    const leadRows = (await report(lead.apiKey, `from=${day}&to=${day}&groupBy=sub1`)).body.rows;
    expect(leadRows.map((r) => [r.key, r.clicks, r.commission])).toEqual([['', 0, '1.00']]);
    const leadLinks = (await report(lead.apiKey, `from=${day}&to=${day}&groupBy=link`)).body.rows;
    expect(leadLinks.map((r) => [r.key, r.commission])).toEqual([['', '1.00']]);
    const recruitRows = (await report(recruit.apiKey, `from=${day}&to=${day}&groupBy=sub1`)).body.rows;
    expect(recruitRows.map((r) => [r.key, r.clicks, r.orders, r.commission])).toEqual([['private-campaign', 1, 1, '10.00']]);
  });
});
