import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { orderEvent, sendOrder } from '../support/shop';
import {
  ADMIN_TOKEN,
  approve,
  createAffiliate,
  createLink,
  createMerchant,
  createProgram,
  startTestApp,
  TEST_IP_HEADER,
  type TestApp,
} from '../support/test-app';

let t: TestApp;
let merchant: Awaited<ReturnType<typeof createMerchant>>;
let program: { id: string };
let finance: string;
const affiliates: { id: string; apiKey: string; code: string }[] = [];
const DAY = 86_400_000;
let orderNo = 0;

beforeEach(async () => {
  t = await startTestApp();
  affiliates.length = 0;
  merchant = await createMerchant(t);
  program = await createProgram(t, merchant.apiKey, { plan: { default: { percent: '10' } }, lockDays: 7 });
  for (const name of ['=HYPERLINK("http://evil.example","x")', 'Plain Blog', '+cmd|calc']) {
    const a = await createAffiliate(t, name, { email: `${affiliates.length}@example.com` });
    await approve(t, merchant.apiKey, program.id, a.id);
    const link = await createLink(t, a.apiKey, { programId: program.id });
    affiliates.push({ id: a.id, apiKey: a.apiKey, code: link.code });
  }
  finance = ((await (await t.request('/v1/finance-keys', { method: 'POST', key: ADMIN_TOKEN })).json()) as { apiKey: string })
    .apiKey;
});
afterEach(async () => {
  await t.close();
});

async function sale(affiliate: number, amount: string, type = 'order.completed') {
  const visit = await t.request(`/c/${affiliates[affiliate]!.code}`, {
    headers: { 'user-agent': 'Mozilla/5.0 Chrome/131.0', [TEST_IP_HEADER]: '192.0.2.8' },
  });
  const clickId = new URL(visit.headers.get('location')!).searchParams.get('clid')!;
  const id = `PO-${++orderNo}`;
  const response = await sendOrder(
    t,
    merchant.webhookSecret,
    orderEvent(
      program.id,
      type,
      { id, clickId, items: [{ sku: 'S', quantity: 1, unitPrice: amount }] },
      t.clock.now().toISOString(),
    ),
  );
  expect(response.status).toBe(200);
  return { id, clickId };
}

async function batch() {
  expect(
    (await t.request('/v1/admin/batch', { method: 'POST', key: ADMIN_TOKEN, json: { asOf: t.clock.now().toISOString() } }))
      .status,
  ).toBe(200);
}

async function payout(minimumAmount = '10.00', extra: Record<string, unknown> = {}) {
  return t.request('/v1/payouts', {
    method: 'POST',
    key: finance,
    json: { asOf: t.clock.now().toISOString(), minimumAmount, ...extra },
  });
}

/** POST a run, then read it whole (lines and entries) as finance would. */
async function runPayout(minimumAmount = '10.00', extra: Record<string, unknown> = {}): Promise<Detail> {
  const created = await payout(minimumAmount, extra);
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as { id: string };
  return (await (await t.request(`/v1/payouts/${id}`, { key: finance })).json()) as Detail;
}

type Detail = {
  id: string;
  affiliates: number;
  total: Record<string, string>;
  lines: { affiliateId: string; amount: string; entries: string[] }[];
  status: string;
};

describe('payout runs', () => {
  it('pays approved entries per affiliate where the net reaches the minimum, and carries the rest over', async () => {
    await sale(0, '200.00'); // 20.00
    await sale(1, '50.00'); // 5.00: under the minimum
    await sale(2, '120.00', 'order.paid'); // 12.00 but never completed: pending
    t.clock.advance(8 * DAY);
    await batch();
    const response = await payout();
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ id: 'pay_1', status: 'created', affiliates: 1, total: { EUR: '20.00' } });
    const first = (await (await t.request('/v1/payouts/pay_1', { key: finance })).json()) as Detail;
    expect(first.lines).toEqual([
      { affiliateId: affiliates[0]!.id, currency: 'EUR', amount: '20.00', entries: [expect.any(String)] },
    ]);
    // Nothing is taken twice, and a run that would pay nobody is refused and creates nothing.
    const again = await payout();
    expect(again.status).toBe(422);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('nothing_to_pay');
    expect((t.store.raw.prepare('SELECT COUNT(*) AS n FROM payouts').get() as { n: number }).n).toBe(1);
    // The carried-over 5.00 is paid once it reaches the minimum.
    await sale(1, '60.00');
    t.clock.advance(8 * DAY);
    await batch();
    const third = await runPayout();
    expect(third.lines.map((l) => [l.affiliateId, l.amount, l.entries.length])).toEqual([[affiliates[1]!.id, '11.00', 2]]);
  });

  it('marks entries paid, or returns them to the balance when a run fails or is cancelled', async () => {
    await sale(0, '200.00');
    t.clock.advance(8 * DAY);
    await batch();
    const failed = await runPayout();
    expect(await (await t.request('/v1/earnings', { key: affiliates[0]!.apiKey })).json()).toEqual({
      balances: [{ currency: 'EUR', estimated: '0.00', held: '0.00', settled: '0.00', inPayout: '20.00', paid: '0.00' }],
    });
    expect((await t.request(`/v1/payouts/${failed.id}/failed`, { method: 'POST', key: finance })).status).toBe(200);
    expect((await t.request(`/v1/payouts/${failed.id}/paid`, { method: 'POST', key: finance })).status).toBe(409);
    const cancelled = await runPayout();
    expect(cancelled.total).toEqual({ EUR: '20.00' });
    expect((await t.request(`/v1/payouts/${cancelled.id}/cancel`, { method: 'POST', key: finance })).status).toBe(200);
    const paid = await runPayout();
    expect(paid.total).toEqual({ EUR: '20.00' });
    const settled = await t.request(`/v1/payouts/${paid.id}/paid`, { method: 'POST', key: finance });
    expect(await settled.json()).toMatchObject({ status: 'paid', settledAt: expect.any(String) });
    expect(await (await t.request('/v1/earnings', { key: affiliates[0]!.apiKey })).json()).toEqual({
      balances: [{ currency: 'EUR', estimated: '0.00', held: '0.00', settled: '0.00', inPayout: '0.00', paid: '20.00' }],
    });
    const mine = (await (await t.request('/v1/affiliates/me/payouts', { key: affiliates[0]!.apiKey })).json()) as {
      payouts: { id: string; status: string }[];
    };
    expect(mine.payouts.map((p) => [p.id, p.status])).toEqual([
      [paid.id, 'paid'],
      [cancelled.id, 'cancelled'],
      [failed.id, 'failed'],
    ]);
  });

  it('nets a refund after payout against the next run, carrying a negative balance until it is covered', async () => {
    const { id, clickId } = await sale(0, '200.00');
    t.clock.advance(8 * DAY);
    await batch();
    const paid = await runPayout();
    await t.request(`/v1/payouts/${paid.id}/paid`, { method: 'POST', key: finance });
    await sendOrder(
      t,
      merchant.webhookSecret,
      orderEvent(
        program.id,
        'order.refunded',
        { id, clickId, items: [{ sku: 'S', quantity: 1, unitPrice: '200.00', refundedQuantity: 1 }] },
        t.clock.now().toISOString(),
      ),
    );
    await sale(0, '150.00'); // +15.00
    t.clock.advance(8 * DAY);
    await batch();
    // −20.00 clawback + 15.00 = −5.00: nothing to pay, carried over.
    const none = await payout('0.01');
    expect(none.status).toBe(422);
    expect(await none.json()).toEqual({
      error: {
        code: 'nothing_to_pay',
        message: "the run would pay nobody: EUR: no affiliate's net EUR balance reaches the minimum",
      },
    });
    await sale(0, '300.00'); // +30.00 → net 25.00
    t.clock.advance(8 * DAY);
    await batch();
    const next = await runPayout();
    expect(next.lines.map((l) => [l.amount, l.entries.length])).toEqual([['25.00', 3]]);
  });

  /** Approved entries as the batch would leave them, in the currencies given, replacing the ledger. */
  async function seedApproved(entries: readonly (readonly [string, number, number, string])[]) {
    const { id } = await sale(0, '10.00');
    t.clock.advance(8 * DAY);
    await batch();
    t.store.raw.prepare('DELETE FROM ledger_entries').run();
    // Approved entries as the batch would leave them, in three currencies, one of them negative.
    const orderId = (t.store.raw.prepare('SELECT id FROM orders WHERE external_id = ?').get(id) as { id: number }).id;
    const insert = t.store.raw.prepare(
      `INSERT INTO ledger_entries (entry_id, order_id, program_id, affiliate_id, slot, kind, status, amount_minor, currency, rule,
         plan_version, explanation, as_of, created_at, status_changed_at)
       VALUES (?, ?, ?, ?, 'line:0', 'accrual', 'approved', ?, ?, 'default', 1, 'seeded', ?, ?, ?)`,
    );
    const at = t.clock.now().toISOString();
    for (const [entry, affiliate, minor, currency] of entries) {
      insert.run(
        entry,
        orderId,
        Number(program.id.slice(4)),
        Number(affiliates[affiliate]!.id.slice(4)),
        minor,
        currency,
        at,
        at,
        at,
      );
    }
  }

  it('nets per affiliate and currency, never across currencies, and carries over what is under the minimum', async () => {
    await seedApproved([
      ['a1', 0, 3000, 'EUR'],
      ['a2', 0, -1000, 'EUR'],
      ['a3', 0, 900, 'USD'],
      ['b1', 1, -500, 'EUR'],
      ['c1', 2, 5000, 'JPY'],
    ]);
    const run = await runPayout('10');
    expect(run.total).toEqual({ EUR: '20.00', JPY: '5000' });
    expect(run.lines).toEqual([
      { affiliateId: affiliates[0]!.id, currency: 'EUR', amount: '20.00', entries: ['a1', 'a2'] },
      { affiliateId: affiliates[2]!.id, currency: 'JPY', amount: '5000', entries: ['c1'] },
    ]);
    // USD 9.00 (under the minimum) and B's −5.00 carry over to the next run.
    const left = t.store.raw
      .prepare(
        'SELECT entry_id FROM ledger_entries e WHERE NOT EXISTS (SELECT 1 FROM payout_entries p WHERE p.entry_id = e.entry_id AND p.active = 1) ORDER BY entry_id',
      )
      .all();
    expect(left).toEqual([{ entry_id: 'a3' }, { entry_id: 'b1' }]);
  });

  it('pays EUR and JPY in one run, each against its own minimum, to the cent and the yen', async () => {
    await seedApproved([
      ['e1', 0, 2550, 'EUR'], // 25.50 ≥ 25.00: paid
      ['e2', 0, 1, 'EUR'], // + 0.01 → 25.51
      ['e3', 1, 2499, 'EUR'], // 24.99 < 25.00: carried over
      ['j1', 1, 4000, 'JPY'], // ¥4000 ≥ ¥4000: paid
      ['j2', 2, 3999, 'JPY'], // ¥3999 < ¥4000: carried over
      ['j3', 2, 7001, 'JPY'], // → ¥11000: paid
      ['u1', 2, 5000, 'USD'], // no minimum given: skipped
    ]);
    const created = await payout(undefined, { minimumAmount: undefined, minimums: { EUR: '25.00', JPY: '4000' } });
    expect(created.status).toBe(201);
    const summary = await created.json();
    expect(summary).toMatchObject({
      minimumAmount: null,
      minimums: { EUR: '25.00', JPY: '4000' },
      total: { EUR: '25.51', JPY: '15000' },
      affiliates: 3,
      skipped: [{ currency: 'USD', reason: 'no_minimum', message: 'no minimum given for USD; add it to minimums' }],
    });
    const run = (await (await t.request(`/v1/payouts/${(summary as { id: string }).id}`, { key: finance })).json()) as Detail;
    expect(run.lines).toEqual([
      { affiliateId: affiliates[0]!.id, currency: 'EUR', amount: '25.51', entries: ['e1', 'e2'] },
      { affiliateId: affiliates[1]!.id, currency: 'JPY', amount: '4000', entries: ['j1'] },
      { affiliateId: affiliates[2]!.id, currency: 'JPY', amount: '11000', entries: ['j2', 'j3'] },
    ]);
    // The same minimums again: nothing left reaches them (EUR 24.99, USD without a minimum).
    const again = await payout(undefined, { minimumAmount: undefined, minimums: { EUR: '25.00', JPY: '4000' } });
    expect(again.status).toBe(422);
    expect(((await again.json()) as { error: { code: string; message: string } }).error).toEqual({
      code: 'nothing_to_pay',
      message:
        "the run would pay nobody: EUR: no affiliate's net EUR balance reaches the minimum; USD: no minimum given for USD; add it to minimums",
    });
    expect((t.store.raw.prepare('SELECT COUNT(*) AS n FROM payouts').get() as { n: number }).n).toBe(1);
  });

  it('applies one minimumAmount in the currencies whose precision holds it and skips the others', async () => {
    await seedApproved([
      ['e1', 0, 2000, 'EUR'],
      ['j1', 1, 5000, 'JPY'],
    ]);
    const created = await payout('10.00');
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({
      minimumAmount: '10.00',
      minimums: { EUR: '10.00' },
      total: { EUR: '20.00' },
      skipped: [
        {
          currency: 'JPY',
          reason: 'minimum_too_precise',
          message: 'minimumAmount 10.00 has more decimals than the currency allows (JPY); give minimums per currency',
        },
      ],
    });
    // "10" is a yen amount too: the yen are paid by the next run.
    expect((await runPayout('10')).total).toEqual({ JPY: '5000' });
  });

  it('lets concurrent runs take each entry at most once', async () => {
    for (let i = 0; i < 12; i++) await sale(i % 3, `${100 + i}.00`);
    t.clock.advance(8 * DAY);
    await batch();
    const responses = await Promise.all(Array.from({ length: 6 }, () => payout('0.01')));
    // The first run takes everything; the others find nothing to pay, or lose the race (409).
    expect(responses.every((r) => r.status === 201 || r.status === 409 || r.status === 422)).toBe(true);
    const ids = ((await Promise.all(responses.filter((r) => r.status === 201).map((r) => r.json()))) as { id: string }[]).map(
      (b) => b.id,
    );
    // Read one after another: a run's detail is a heavy request, of which one key may run two at once.
    const bodies: Detail[] = [];
    for (const id of ids) bodies.push((await (await t.request(`/v1/payouts/${id}`, { key: finance })).json()) as Detail);
    const taken = bodies.flatMap((b) => b.lines.flatMap((l) => l.entries));
    expect(taken).toHaveLength(12);
    expect(new Set(taken).size).toBe(12);
    const live = t.store.raw
      .prepare('SELECT COUNT(*) AS n, COUNT(DISTINCT entry_id) AS d FROM payout_entries WHERE active = 1')
      .get();
    expect(live).toEqual({ n: 12, d: 12 });
  });

  it.each([
    [{ minimumAmount: '-1.00' }, 422],
    [{ minimumAmount: 'ten' }, 422],
    [{ currency: 'XYZ' }, 422],
    [{ currency: 'JPY', minimumAmount: '10.50' }, 422],
    [{ minimumAmount: undefined, minimums: { EUR: '25.00', JPY: '40.5' } }, 422],
    [{ minimumAmount: undefined, minimums: { EUR: '-1' } }, 422],
    [{ minimumAmount: undefined, minimums: { EURO: '1' } }, 422],
    [{ minimumAmount: undefined, minimums: {} }, 422],
    [{ minimums: { EUR: '25.00' } }, 422],
    [{ minimumAmount: undefined }, 422],
    [{ asOf: '2030-01-01T00:00:00Z' }, 422],
  ])('refuses %j and creates nothing', async (change, status) => {
    await sale(0, '200.00');
    t.clock.advance(8 * DAY);
    await batch();
    const response = await t.request('/v1/payouts', {
      method: 'POST',
      key: finance,
      json: { asOf: t.clock.now().toISOString(), minimumAmount: '10.00', ...change },
    });
    expect(response.status).toBe(status);
    expect((t.store.raw.prepare('SELECT COUNT(*) AS n FROM payouts').get() as { n: number }).n).toBe(0);
  });
});

describe('payout CSV (P19)', () => {
  it('exports one row per affiliate and currency, neutralises formulas, keeps amounts numeric, and repeats byte for byte', async () => {
    await t.request('/v1/affiliates/me', {
      method: 'PATCH',
      key: affiliates[0]!.apiKey,
      json: { payoutMethod: 'paypal', payoutDetails: { email: 'pay@example.com' } },
    });
    await t.request('/v1/affiliates/me', {
      method: 'PATCH',
      key: affiliates[2]!.apiKey,
      json: { payoutMethod: 'bank', payoutDetails: { iban: 'DE89370400440532013000', accountHolder: '@Holder' } },
    });
    await sale(0, '200.00');
    await sale(1, '150.00');
    await sale(2, '99.99');
    t.clock.advance(8 * DAY);
    await batch();
    const run = await runPayout('1.00');
    const first = await t.request(`/v1/payouts/${run.id}/csv`, { key: finance });
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toContain('text/csv');
    const bytes = await first.arrayBuffer();
    const second = await (await t.request(`/v1/payouts/${run.id}/csv`, { key: finance })).arrayBuffer();
    expect(Buffer.from(second).equals(Buffer.from(bytes))).toBe(true);
    const rows = parse(Buffer.from(bytes).toString('utf8'), { columns: true }) as Record<string, string>[];
    expect(rows).toEqual([
      {
        payout_id: run.id,
        affiliate_id: affiliates[0]!.id,
        affiliate_name: `'=HYPERLINK("http://evil.example","x")`,
        email: '0@example.com',
        currency: 'EUR',
        amount: '20.00',
        entries: '1',
        payout_method: 'paypal',
        payout_account: 'pay@example.com',
      },
      {
        payout_id: run.id,
        affiliate_id: affiliates[1]!.id,
        affiliate_name: 'Plain Blog',
        email: '1@example.com',
        currency: 'EUR',
        amount: '15.00',
        entries: '1',
        payout_method: '',
        payout_account: '',
      },
      {
        payout_id: run.id,
        affiliate_id: affiliates[2]!.id,
        affiliate_name: "'+cmd|calc",
        email: '2@example.com',
        currency: 'EUR',
        amount: '10.00',
        entries: '1',
        payout_method: 'bank',
        payout_account: 'DE89370400440532013000',
      },
    ]);
    for (const row of rows) {
      expect(Number.isFinite(Number(row.amount))).toBe(true);
      for (const [column, cell] of Object.entries(row)) if (column !== 'amount') expect(cell).not.toMatch(/^[=+\-@\t\r\n]/);
    }
  });

  it('exports PayPal and Wise upload files holding only the affiliates paid that way', async () => {
    await t.request('/v1/affiliates/me', {
      method: 'PATCH',
      key: affiliates[0]!.apiKey,
      json: { payoutMethod: 'paypal', payoutDetails: { email: 'pay@example.com' } },
    });
    await t.request('/v1/affiliates/me', {
      method: 'PATCH',
      key: affiliates[1]!.apiKey,
      json: { payoutMethod: 'wise', payoutDetails: { email: 'wise@example.com' } },
    });
    await sale(0, '200.00');
    await sale(1, '150.00');
    await sale(2, '99.99');
    t.clock.advance(8 * DAY);
    await batch();
    const run = await runPayout('1.00');
    const paypal = await (await t.request(`/v1/payouts/${run.id}/csv?format=paypal`, { key: finance })).text();
    expect(paypal).toBe(`pay@example.com,20.00,EUR,${run.id}-${affiliates[0]!.id},Affiliate commission,PAYPAL\r\n`);
    const wise = parse(await (await t.request(`/v1/payouts/${run.id}/csv?format=wise`, { key: finance })).text(), {
      columns: true,
    });
    expect(wise).toEqual([
      {
        name: 'Plain Blog',
        recipientEmail: 'wise@example.com',
        paymentReference: `${run.id}-${affiliates[1]!.id}`,
        receiverType: 'PRIVATE',
        amountCurrency: 'EUR',
        amount: '15.00',
        sourceCurrency: 'EUR',
        targetCurrency: 'EUR',
        type: 'EMAIL',
      },
    ]);
    expect((await t.request(`/v1/payouts/${run.id}/csv?format=venmo`, { key: finance })).status).toBe(422);
    // A provider file that would hold no row is refused, saying so, instead of an empty 200.
    const empty = await t.request(`/v1/payouts/${run.id}/csv?format=paypal&currency=USD`, { key: finance });
    expect(empty.status).toBe(422);
    expect(await empty.json()).toEqual({
      error: {
        code: 'nothing_to_pay',
        message: 'no affiliate in this run paid in USD is paid by paypal: the file would be empty',
      },
    });
  });

  it('neutralises formulas after leading whitespace and invisible separators in every payout export', async () => {
    const names = [' =1+1', '\u00a0=HYPERLINK("http://evil.example","x")', ';@SUM(A1:A2)'];
    const methods = [
      { payoutMethod: 'paypal', payoutDetails: { email: 'pay@example.com' } },
      { payoutMethod: 'wise', payoutDetails: { email: 'wise@example.com' } },
      { payoutMethod: 'bank', payoutDetails: { iban: 'DE89370400440532013000', accountHolder: '\u2028-2+3' } },
    ];
    for (const [i, a] of affiliates.entries()) {
      t.store.raw.prepare('UPDATE affiliates SET name = ? WHERE id = ?').run(names[i], Number(a.id.slice(4)));
      await t.request('/v1/affiliates/me', { method: 'PATCH', key: a.apiKey, json: methods[i] });
      await sale(i, '200.00');
    }
    t.clock.advance(8 * DAY);
    await batch();
    const run = await runPayout('1.00');
    // One file after another: a tenant runs at most two heavy exports at once.
    const files: string[][][] = [];
    for (const format of ['csv', 'paypal', 'wise']) {
      const response = await t.request(`/v1/payouts/${run.id}/csv?format=${format}`, { key: finance });
      expect(response.status).toBe(200);
      files.push(parse(await response.text(), { relax_column_count: true }) as string[][]);
    }
    const cells = files.flat(2);
    // Each malicious name reaches some file, always behind the apostrophe.
    for (const text of [names[0], names[1], names[2]]) expect(cells).toContain(`'${text}`);
    for (const cell of cells) {
      if (/^-?[0-9]+\.[0-9]{2}$/.test(cell)) continue; // amounts stay numbers
      expect(cell.startsWith("'") || !/^[\s\u200b-\u200d\u2060\ufeff;]*[=+\-@]/.test(cell)).toBe(true);
    }
  });

  it('npm run payouts creates a run and writes its CSV', async () => {
    await sale(0, '200.00');
    t.clock.advance(8 * DAY);
    await batch();
    const out = join(t.dir, 'payout.csv');
    const cli = (...args: string[]) =>
      spawnSync(
        process.execPath,
        ['--import', 'tsx', 'src/cli/payouts.ts', '--as-of', t.clock.now().toISOString(), '--out', out, ...args],
        {
          env: { ...process.env, DATA_DIR: t.dir },
          encoding: 'utf8',
        },
      );
    const result = cli('--minimum', '10.00');
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('pay_1: 1 affiliates, 20.00 EUR');
    const rows = parse(readFileSync(out, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => [r.affiliate_id, r.amount])).toEqual([[affiliates[0]!.id, '20.00']]);
    const bad = cli('--minimum=-1');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('minimumAmount');
  });

  it('rejects payout details that do not fit the method', async () => {
    const bad = await t.request('/v1/affiliates/me', {
      method: 'PATCH',
      key: affiliates[0]!.apiKey,
      json: { payoutMethod: 'bank', payoutDetails: { email: 'x@example.com' } },
    });
    expect(bad.status).toBe(422);
  });
});
