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
  t = await startTestApp({}, { clickhouse: true });
  affiliates.length = 0;
  merchant = await createMerchant(t);
  program = await createProgram(t, merchant.apiKey, { plan: { default: { percent: '10' } }, lockDays: 7 });
  for (const name of ['Ann', 'Bob']) {
    const a = await createAffiliate(t, name, { email: `${name}@example.com` });
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

async function sale(affiliate: number, amount: string) {
  const visit = await t.request(`/c/${affiliates[affiliate]!.code}`, {
    headers: { 'user-agent': 'Mozilla/5.0 Chrome/131.0', [TEST_IP_HEADER]: '192.0.2.8' },
  });
  const clickId = new URL(visit.headers.get('location')!).searchParams.get('clid')!;
  const id = `AO-${++orderNo}`;
  const response = await sendOrder(
    t,
    merchant.webhookSecret,
    orderEvent(
      program.id,
      'order.completed',
      { id, clickId, items: [{ sku: 'S', quantity: 1, unitPrice: amount }] },
      t.clock.now().toISOString(),
    ),
  );
  expect(response.status).toBe(200);
  return id;
}

async function batch() {
  const r = await t.request('/v1/admin/batch', { method: 'POST', key: ADMIN_TOKEN, json: { asOf: t.clock.now().toISOString() } });
  expect(r.status).toBe(200);
}

function adjust(body: Record<string, unknown>, key = merchant.apiKey, idempotencyKey?: string) {
  return t.request('/v1/adjustments', {
    method: 'POST',
    key,
    json: { programId: program.id, currency: 'EUR', ...body },
    headers: idempotencyKey ? { 'idempotency-key': idempotencyKey } : {},
  });
}

async function payoutCsv() {
  const created = await t.request('/v1/payouts', {
    method: 'POST',
    key: finance,
    json: { asOf: t.clock.now().toISOString(), minimumAmount: '0.01' },
  });
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as { id: string };
  const csv = await (await t.request(`/v1/payouts/${id}/csv`, { key: finance })).text();
  return { id, rows: parse(csv, { columns: true }) as Record<string, string>[] };
}

const count = (table: string) => (t.store.raw.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;

describe('manual adjustments', () => {
  it('pays a bonus to the cent through a payout run and its CSV, and nets a penalty like a clawback', async () => {
    const order = await sale(0, '200.00'); // 20.00
    await sale(1, '100.00'); // 10.00
    const bonus = await adjust({ affiliateId: affiliates[0]!.id, amount: '12.34', reason: 'spring bonus', orderId: order });
    expect(bonus.status).toBe(201);
    expect(await bonus.json()).toMatchObject({
      id: 'adj_1',
      entryId: 'manual:1',
      amount: '12.34',
      orderId: order,
      status: 'approved',
      author: { role: 'merchant' },
    });
    const penalty = await adjust({ affiliateId: affiliates[1]!.id, amount: '-3.21', reason: 'coupon abuse' }, finance);
    expect(penalty.status).toBe(201);
    expect(await penalty.json()).toMatchObject({ orderId: null, amount: '-3.21', author: { role: 'finance' } });
    t.clock.advance(8 * DAY);
    await batch();
    // The batch leaves the manual entry on the order alone (it is no part of the plan's amount).
    const entry = t.store.raw
      .prepare("SELECT status, amount_minor, explanation FROM ledger_entries WHERE entry_id = 'manual:1'")
      .get();
    expect(entry).toMatchObject({ status: 'approved', amount_minor: 1234 });
    expect((entry as { explanation: string }).explanation).toMatch(/^manual: bonus by key_\d+ \(merchant\): spring bonus$/);

    const earnings = (await (await t.request('/v1/earnings', { key: affiliates[0]!.apiKey })).json()) as unknown;
    expect(JSON.stringify(earnings)).toContain('32.34');

    const { rows } = await payoutCsv();
    const byAffiliate = Object.fromEntries(rows.map((r) => [r.affiliate_id, r.amount]));
    expect(byAffiliate).toEqual({ [affiliates[0]!.id]: '32.34', [affiliates[1]!.id]: '6.79' });

    // ClickHouse has the manual entries; reconciliation agrees to the cent.
    const reconciled = (await (
      await t.request(`/v1/reports/reconciliation?from=2026-11-25&to=2026-12-31`, { key: merchant.apiKey })
    ).json()) as {
      mismatches: number;
      ledger: { status: string; sqlAmount: string; clickhouseAmount: string }[];
    };
    expect(reconciled.mismatches).toBe(0);
    expect(reconciled.ledger.reduce((s, r) => s + Math.round(Number(r.sqlAmount) * 100), 0)).toBe(2000 + 1000 + 1234 - 321);
  });

  it('adds nothing twice for a retried POST with the same Idempotency-Key, and refuses the key for another request', async () => {
    const body = { affiliateId: affiliates[0]!.id, amount: '5.00', reason: 'retry me' };
    const first = await adjust(body, merchant.apiKey, 'k-1');
    const second = await adjust(body, merchant.apiKey, 'k-1');
    expect([first.status, second.status]).toEqual([201, 200]);
    expect(((await second.json()) as { id: string }).id).toBe(((await first.json()) as { id: string }).id);
    expect([count('adjustments'), count("ledger_entries WHERE kind = 'manual'")]).toEqual([1, 1]);
    const other = await adjust({ ...body, amount: '6.00' }, merchant.apiKey, 'k-1');
    expect(other.status).toBe(409);
    expect(count('adjustments')).toBe(1);
  });

  it('keeps merchants to their own programs and affiliates out', async () => {
    const stranger = await createMerchant(t, 'Other');
    const theirs = await adjust({ affiliateId: affiliates[0]!.id, amount: '5.00', reason: 'x' }, stranger.apiKey);
    expect(theirs.status).toBe(404);
    const affiliate = await adjust({ affiliateId: affiliates[0]!.id, amount: '5.00', reason: 'x' }, affiliates[0]!.apiKey);
    expect(affiliate.status).toBe(403);
    const zero = await adjust({ affiliateId: affiliates[0]!.id, amount: '0.00', reason: 'x' });
    expect(zero.status).toBe(422);
    const wrongCurrency = await adjust({ affiliateId: affiliates[0]!.id, amount: '5.00', reason: 'x', currency: 'USD' });
    expect(wrongCurrency.status).toBe(422);
    expect(count('adjustments')).toBe(0);
  });

  it('writes nothing from a CSV upload with one bad row, and all of a good one', async () => {
    const [a, b] = [affiliates[0]!.id, affiliates[1]!.id];
    const bad = `programId,affiliateId,amount,currency,reason\r\n${program.id},${a},10.00,EUR,one\r\n${program.id},${b},12.345,EUR,two\r\n${program.id},aff_999,1.00,EUR,three\r\n`;
    const refused = await t.request('/v1/adjustments/bulk', {
      method: 'POST',
      key: finance,
      body: bad,
      headers: { 'content-type': 'text/csv' },
    });
    expect(refused.status).toBe(422);
    const message = ((await refused.json()) as { error: { message: string } }).error.message;
    expect(message).toContain('row 3: amount');
    expect(message).toContain('row 4: affiliateId');
    expect(message).not.toContain('row 2');
    expect([count('adjustments'), count('ledger_entries'), count("audit_log WHERE action LIKE 'adjustment.%'")]).toEqual([
      0, 0, 0,
    ]);

    const good = `programId,affiliateId,amount,currency,reason,reference\r\n${program.id},${a},10.00,EUR,"bonus, big",r1\r\n${program.id},${b},-2.50,EUR,penalty,r2\r\n`;
    const upload = () =>
      t.request('/v1/adjustments/bulk', { method: 'POST', key: finance, body: good, headers: { 'content-type': 'text/csv' } });
    const made = await upload();
    expect(made.status).toBe(201);
    expect(await made.json()).toMatchObject({ created: 2, existing: 0 });
    const again = await upload();
    expect(await again.json()).toMatchObject({ created: 0, existing: 2 });
    expect(count('adjustments')).toBe(2);
    const reasons = t.store.raw.prepare('SELECT reason, amount_minor FROM adjustments ORDER BY id').all();
    expect(reasons).toEqual([
      { reason: 'bonus, big', amount_minor: 1000 },
      { reason: 'penalty', amount_minor: -250 },
    ]);
  });

  it('undoes an adjustment only by a reversing one, once; the ledger and the adjustments refuse edits', async () => {
    const made = (await (await adjust({ affiliateId: affiliates[0]!.id, amount: '7.00', reason: 'oops' })).json()) as {
      id: string;
    };
    const reverse = () =>
      t.request(`/v1/adjustments/${made.id}/reverse`, { method: 'POST', key: finance, json: { reason: 'entered twice' } });
    const first = await reverse();
    expect(first.status).toBe(201);
    const reversal = (await first.json()) as { id: string; amount: string; reverses: string };
    expect(reversal).toMatchObject({ amount: '-7.00', reverses: made.id });
    expect((await reverse()).status).toBe(200);
    expect((await t.request(`/v1/adjustments/${reversal.id}/reverse`, { method: 'POST', key: finance })).status).toBe(409);
    expect(await (await t.request(`/v1/adjustments/${made.id}`, { key: merchant.apiKey })).json()).toMatchObject({
      reversedBy: reversal.id,
      amount: '7.00',
    });
    const sum = t.store.raw
      .prepare("SELECT SUM(amount_minor) AS s, COUNT(*) AS n FROM ledger_entries WHERE kind = 'manual'")
      .get();
    expect(sum).toEqual({ s: 0, n: 2 });
    expect(() => t.store.raw.prepare('UPDATE adjustments SET amount_minor = 1').run()).toThrow(/append-only/);
    expect(() => t.store.raw.prepare('DELETE FROM adjustments').run()).toThrow(/append-only/);
  });

  it('emits commission.created for a bonus and commission.reversed for a penalty, kind manual, without an order', async () => {
    const endpoint = await t.request('/v1/webhook-endpoints', {
      method: 'POST',
      key: merchant.apiKey,
      json: { url: 'https://hooks.example/clickledger', events: ['commission.created', 'commission.reversed'] },
    });
    expect(endpoint.status).toBe(201);
    await adjust({ affiliateId: affiliates[0]!.id, amount: '5.00', reason: 'bonus' });
    await adjust({ affiliateId: affiliates[0]!.id, amount: '-2.00', reason: 'penalty' });
    const events = t.store.raw
      .prepare("SELECT type, snapshot FROM outbound_events WHERE type LIKE 'commission.%' ORDER BY seq")
      .all() as {
      type: string;
      snapshot: string;
    }[];
    expect(
      events.map((e) => {
        const s = JSON.parse(e.snapshot) as Record<string, unknown>;
        return [e.type, s.kind, s.amount_minor, s.order_external_id];
      }),
    ).toEqual([
      ['commission.created', 'manual', 500, null],
      ['commission.reversed', 'manual', -200, null],
    ]);
  });
});
