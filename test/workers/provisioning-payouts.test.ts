import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, call, clickThrough, ORIGIN, signedHeaders } from './api';

/**
 * The whole life of a sale on the Worker over D1, every step through SELF.fetch as a client
 * would make it: provisioning (merchant, affiliate, finance key, program and plan version,
 * membership, secret and key rotation), a click and a signed order, the batch, and a payout run
 * read, exported and marked paid. Every multi-row write here is one D1 batch() (AtomicWrites):
 * D1 has no interactive transactions. The tests run in order and build on each other.
 */
type Merchant = { id: string; name: string; apiKey: string; keyId: string; webhookSecret: string };
type Affiliate = { id: string; apiKey: string; keyId: string; parentId: string | null };
type Payout = { id: string; status: string; affiliates: number; total: Record<string, string>; settledAt: string | null };
type PayoutDetail = Payout & { lines: { affiliateId: string; currency: string; amount: string; entries: string[] }[] };

let merchant: Merchant;
let affiliate: Affiliate;
let finance: string;
let programId: string;
let linkCode: string;
let merchantKey: string;
let webhookSecret: string;
let batchAsOf: string;

const count = async (sql: string, ...params: unknown[]) =>
  (await env.DB.prepare(sql)
    .bind(...params)
    .first<{ n: number }>())!.n;

/** A signed order event, as of now: the batch that follows finds it completed and its lock period (0 days) over. */
async function sendOrder(secret: string, type: string, id: string, clickId: string, deliveryId: string) {
  const body = JSON.stringify({
    type,
    programId,
    order: {
      id,
      clickId,
      currency: 'EUR',
      items: [{ sku: 'S1', category: 'shoes', quantity: 2, unitPrice: '49.90', discount: '5.00' }],
    },
    occurredAt: new Date().toISOString(),
  });
  return SELF.fetch(`${ORIGIN}/v1/orders`, { method: 'POST', headers: signedHeaders(secret, body, deliveryId), body });
}

describe('provisioning to payout on D1, through the Worker', () => {
  it('stores ADMIN_TOKEN as the one live admin key on the first request', async () => {
    expect((await call('/v1/keys', { key: 'not-the-admin-token-0123456789' })).status).toBe(401);
    const keys = await call<{ keys: { id: string; role: string; revokedAt: string | null }[] }>('/v1/keys', { key: ADMIN_TOKEN });
    expect(keys.status).toBe(200);
    expect(keys.body.keys).toEqual([expect.objectContaining({ id: 'key_1', role: 'admin', revokedAt: null })]);
    expect(await env.DB.prepare("SELECT value FROM settings WHERE key = 'admin_key_id'").first()).toEqual({ value: '1' });
  });

  it('admin creates a merchant with its webhook secret and key, all in one batch', async () => {
    const created = await call<Merchant>('/v1/merchants', { key: ADMIN_TOKEN, json: { name: 'Edge Outfitters' } });
    expect(created.status).toBe(201);
    merchant = created.body;
    expect(merchant).toMatchObject({ id: 'mer_1', name: 'Edge Outfitters', keyId: 'key_2' });
    expect(merchant.webhookSecret).toMatch(/^whsec_[A-Za-z0-9+/=]{32}$/);
    expect(merchant.apiKey).toMatch(/^cl_mer_/);
    expect(await env.DB.prepare('SELECT merchant_id, secret, expires_at FROM webhook_secrets').all()).toMatchObject({
      results: [{ merchant_id: 1, secret: merchant.webhookSecret, expires_at: null }],
    });
    expect(await env.DB.prepare('SELECT id, role, merchant_id FROM api_keys WHERE id = 2').first()).toEqual({
      id: 2,
      role: 'merchant',
      merchant_id: 1,
    });
    merchantKey = merchant.apiKey;
    webhookSecret = merchant.webhookSecret;
  });

  it('admin creates an affiliate, a recruited one, and a finance key; an unknown parent writes nothing', async () => {
    const created = await call<Affiliate>('/v1/affiliates', {
      key: ADMIN_TOKEN,
      json: { name: 'Trail Blog', email: 'trail@example.com' },
    });
    expect(created.status).toBe(201);
    affiliate = created.body;
    expect(affiliate).toMatchObject({ id: 'aff_1', keyId: 'key_3', parentId: null });
    const recruited = await call<Affiliate>('/v1/affiliates', {
      key: ADMIN_TOKEN,
      json: { name: 'Sub Blog', parentId: 'aff_1' },
    });
    expect(recruited.body).toMatchObject({ id: 'aff_2', keyId: 'key_4', parentId: 'aff_1' });
    const orphan = await call('/v1/affiliates', { key: ADMIN_TOKEN, json: { name: 'Orphan', parentId: 'aff_99' } });
    expect(orphan).toEqual({ status: 404, body: { error: { code: 'not_found', message: 'parent affiliate not found' } } });
    expect(await count('SELECT count(*) AS n FROM affiliates')).toBe(2);
    expect(await count("SELECT count(*) AS n FROM api_keys WHERE role = 'affiliate'")).toBe(2);

    const key = await call<{ apiKey: string; keyId: string }>('/v1/finance-keys', { key: ADMIN_TOKEN, json: {} });
    expect(key.status).toBe(201);
    expect(key.body.keyId).toBe('key_5');
    finance = key.body.apiKey;
  });

  it('merchant creates a program with plan version 1, changes the plan (version 2) and approves the affiliate', async () => {
    const program = await call<{ id: string; plan: unknown; status: string }>('/v1/programs', {
      key: merchantKey,
      json: {
        name: 'Boots',
        landingUrl: 'https://shop.example/boots',
        allowedDomains: ['shop.example'],
        currency: 'EUR',
        cookieDays: 30,
        lockDays: 0,
        plan: { default: { percent: '10' } },
      },
    });
    expect(program.status).toBe(201);
    expect(program.body).toMatchObject({ id: 'prg_1', plan: { default: { percent: '10' } }, status: 'active' });
    programId = program.body.id;

    const changed = await call<{ plan: unknown }>(`/v1/programs/${programId}`, {
      method: 'PATCH',
      key: merchantKey,
      json: { plan: { default: { percent: '12' } } },
    });
    expect(changed.status).toBe(200);
    expect(changed.body.plan).toMatchObject({ default: { percent: '12' } });
    const versions = await env.DB.prepare(
      'SELECT version, plan, effective_from FROM plan_versions WHERE program_id = 1 ORDER BY version',
    ).all<{
      version: number;
      plan: string;
      effective_from: string;
    }>();
    expect(versions.results.map((v) => [v.version, JSON.parse(v.plan).default])).toEqual([
      [1, { percent: '10' }],
      [2, { percent: '12' }],
    ]);
    expect(versions.results[0]!.effective_from).toBe('1970-01-01T00:00:00.000Z');
    // A change that keeps the plan adds no version.
    expect(
      (await call(`/v1/programs/${programId}`, { method: 'PATCH', key: merchantKey, json: { name: 'Boots & more' } })).status,
    ).toBe(200);
    expect(await count('SELECT count(*) AS n FROM plan_versions')).toBe(2);

    const approved = await call(`/v1/programs/${programId}/affiliates`, {
      key: merchantKey,
      json: { affiliateId: affiliate.id },
    });
    expect(approved.body).toEqual({ programId: 'prg_1', affiliateId: 'aff_1', status: 'approved' });
  });

  it('merchant rotates its webhook secret: the old one keeps verifying for the grace period, the new one verifies', async () => {
    const rotated = await call<{ webhookSecret: string; previousSecretsExpireAt: string }>('/v1/webhook-secrets/rotate', {
      key: merchantKey,
      json: { graceSeconds: 3600 },
    });
    expect(rotated.status).toBe(201);
    expect(rotated.body.webhookSecret).not.toBe(webhookSecret);
    const secrets = await env.DB.prepare(
      'SELECT secret, expires_at FROM webhook_secrets WHERE merchant_id = 1 ORDER BY id',
    ).all();
    expect(secrets.results).toEqual([
      { secret: webhookSecret, expires_at: rotated.body.previousSecretsExpireAt },
      { secret: rotated.body.webhookSecret, expires_at: null },
    ]);
    // Old secret, during the grace period: accepted.
    expect((await sendOrder(webhookSecret, 'order.created', 'ROT-OLD', 'none', 'evt_rot_old')).status).toBe(200);
    webhookSecret = rotated.body.webhookSecret;
    expect((await sendOrder(webhookSecret, 'order.created', 'ROT-NEW', 'none', 'evt_rot_new')).status).toBe(200);
    // A secret that was never issued: refused.
    expect(
      (await sendOrder('whsec_' + btoa('never-issued-secret-24by'), 'order.created', 'ROT-BAD', 'none', 'evt_rot_bad')).status,
    ).toBe(401);
  });

  it('merchant rotates its API key: the new one works, the old one stops', async () => {
    const rotated = await call<{ apiKey: string; keyId: string; oldKeyRevokedAt: string }>(`/v1/keys/${merchant.keyId}/rotate`, {
      key: merchantKey,
      json: { graceSeconds: 0 },
    });
    expect(rotated.status).toBe(201);
    expect(rotated.body.keyId).toBe('key_6');
    expect((await call('/v1/programs', { key: merchantKey })).status).toBe(401);
    merchantKey = rotated.body.apiKey;
    const programs = await call<{ programs: { id: string }[] }>('/v1/programs', { key: merchantKey });
    expect(programs.status).toBe(200);
    // Rotating the revoked key again is a conflict, and changes nothing.
    const again = await call(`/v1/keys/${merchant.keyId}/rotate`, { key: merchantKey, json: {} });
    expect(again).toEqual({ status: 409, body: { error: { code: 'conflict', message: 'this key is already revoked' } } });
    expect(await count("SELECT count(*) AS n FROM api_keys WHERE role = 'merchant'")).toBe(2);
  });

  it('merchant and finance subscribe webhook endpoints; a private or http URL is refused', async () => {
    const merchantHook = await call<{ id: string; secret: string }>('/v1/webhook-endpoints', {
      key: merchantKey,
      json: { url: 'https://hooks.example/clickledger', events: ['sale.created', 'sale.updated', 'commission.created'] },
    });
    expect(merchantHook).toMatchObject({ status: 201, body: { id: 'whe_1', secret: expect.stringMatching(/^whsec_/) } });
    const financeHook = await call('/v1/webhook-endpoints', {
      key: finance,
      json: { url: 'https://finance.example/hook', events: ['payout.created', 'payout.paid'] },
    });
    expect(financeHook.status).toBe(201);
    const refused = await call('/v1/webhook-endpoints', {
      key: merchantKey,
      json: { url: 'http://127.0.0.1:9/x', events: ['sale.created'] },
    });
    expect(refused.status).toBe(422);
  });

  it('affiliate creates a link; a click and a signed order are attributed to it', async () => {
    const link = await call<{ code: string; trackingUrl: string }>('/v1/links', { key: affiliate.apiKey, json: { programId } });
    expect(link).toMatchObject({ status: 201 });
    linkCode = link.body.code;
    expect(link.body.trackingUrl).toBe(`${ORIGIN}/c/${linkCode}`);

    const clickId = await clickThrough(linkCode);
    const created = await sendOrder(webhookSecret, 'order.created', 'EDGE-100', clickId, 'evt_100_created');
    expect(await created.json()).toMatchObject({
      id: 'EDGE-100',
      status: 'created',
      attribution: { affiliateId: 'aff_1', method: 'click' },
    });
    const completed = await sendOrder(webhookSecret, 'order.completed', 'EDGE-100', clickId, 'evt_100_completed');
    expect(await completed.json()).toMatchObject({ id: 'EDGE-100', status: 'completed', duplicate: false });
  });

  it('the batch writes the ledger: 12 % of 94.80 is 11.38, approved once the order is completed and the lock period (0 days) over', async () => {
    const run = await call<{ asOf: string; entriesAppended: number; ordersChanged: number }>('/v1/admin/batch', {
      key: ADMIN_TOKEN,
      json: {},
    });
    expect(run.status).toBe(200);
    // EDGE-100's entry; the two unattributed rotation orders earn nothing.
    expect(run.body).toMatchObject({ entriesAppended: 1, ordersChanged: 1 });
    batchAsOf = run.body.asOf;
    const order = await call<{ ledger: { kind: string; status: string; amount: string; currency: string }[] }>(
      '/v1/orders/EDGE-100',
      {
        key: merchantKey,
      },
    );
    expect(order.body.ledger).toEqual([
      expect.objectContaining({ kind: 'accrual', status: 'approved', amount: '11.38', currency: 'EUR' }),
    ]);
    // Run again: nothing new (P9).
    expect((await call('/v1/admin/batch', { key: ADMIN_TOKEN, json: {} })).body).toMatchObject({ entriesAppended: 0 });
    // The same entry in the affiliate's commission list, its lock date (completion + 0 days) made by D1's SQLite.
    const completedAt = (await call<{ completedAt: string }>('/v1/orders/EDGE-100', { key: merchantKey })).body.completedAt;
    const day = completedAt.slice(0, 10);
    const listed = await call<{ commissions: unknown[]; next: string | null }>(
      `/v1/commissions?dateBy=lock&from=${day}&to=${day}&status=approved`,
      { key: affiliate.apiKey },
    );
    expect(listed.body).toEqual({
      commissions: [expect.objectContaining({ orderId: 'EDGE-100', amount: '11.38', status: 'approved', lockDate: completedAt })],
      next: null,
    });
  });

  it('finance creates two payout runs at once: the entry is paid by exactly one of them', async () => {
    const [a, b] = await Promise.all(
      [0, 1].map(() => call<Payout>('/v1/payouts', { key: finance, json: { asOf: batchAsOf, minimumAmount: '10.00' } })),
    );
    // One pays the entry; the other finds it taken and is refused, leaving no empty run behind.
    const [won, lost] = [a!, b!].sort((x, y) => x.status - y.status);
    expect(won!.status).toBe(201);
    expect(won!.body.total).toEqual({ EUR: '11.38' });
    expect([409, 422]).toContain(lost!.status);
    expect(await count('SELECT count(*) AS n FROM payouts')).toBe(1);
    expect(await count('SELECT count(*) AS n FROM payout_entries WHERE active = 1')).toBe(1);
  });

  it('finance reads the run, exports its CSV and marks it paid; paying it twice is a conflict', async () => {
    const payoutId = (await env.DB.prepare('SELECT payout_id FROM payout_entries').first<{ payout_id: number }>())!.payout_id;
    const id = `pay_${payoutId}`;
    const detail = await call<PayoutDetail>(`/v1/payouts/${id}`, { key: finance });
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({ id, status: 'created', affiliates: 1, total: { EUR: '11.38' } });
    expect(detail.body.lines).toEqual([
      { affiliateId: 'aff_1', currency: 'EUR', amount: '11.38', entries: [expect.any(String)] },
    ]);

    const csv = await SELF.fetch(`${ORIGIN}/v1/payouts/${id}/csv`, { headers: { authorization: `Bearer ${finance}` } });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const [header, ...rows] = (await csv.text())
      .trim()
      .split('\r\n')
      .map((line) => line.split(','));
    expect(rows).toHaveLength(1);
    const row = Object.fromEntries(header!.map((column, i) => [column, rows[0]![i]]));
    expect(row).toMatchObject({
      payout_id: id,
      affiliate_id: 'aff_1',
      affiliate_name: 'Trail Blog',
      currency: 'EUR',
      amount: '11.38',
      entries: '1',
    });

    const paid = await call<Payout>(`/v1/payouts/${id}/paid`, { key: finance, json: {} });
    expect(paid.status).toBe(200);
    expect(paid.body).toMatchObject({ id, status: 'paid', total: { EUR: '11.38' }, settledAt: expect.any(String) });
    expect(await env.DB.prepare("SELECT status FROM ledger_entries WHERE kind = 'accrual'").all()).toMatchObject({
      results: [{ status: 'paid' }],
    });
    const twice = await call(`/v1/payouts/${id}/paid`, { key: finance, json: {} });
    expect(twice).toEqual({ status: 409, body: { error: { code: 'conflict', message: 'this payout is already paid' } } });
    // The affiliate sees it paid.
    const earnings = await call<{ balances: unknown[] }>('/v1/earnings', { key: affiliate.apiKey });
    expect(earnings.body.balances).toEqual([
      { currency: 'EUR', estimated: '0.00', held: '0.00', settled: '0.00', inPayout: '0.00', paid: '11.38' },
    ]);
  });

  it('every change above left its outbound event in the outbox, written by the same D1 batch as the change', async () => {
    const events = await env.DB.prepare('SELECT type, merchant_id, affiliate_id FROM outbound_events ORDER BY seq').all();
    expect(events.results).toEqual([
      { type: 'sale.created', merchant_id: 1, affiliate_id: 1 },
      { type: 'sale.updated', merchant_id: 1, affiliate_id: 1 },
      { type: 'commission.created', merchant_id: 1, affiliate_id: 1 },
      // One run: the concurrent run that found the entry taken left nothing behind, its event neither.
      { type: 'payout.created', merchant_id: null, affiliate_id: null },
      { type: 'payout.paid', merchant_id: null, affiliate_id: null },
    ]);
    const snapshot = await env.DB.prepare("SELECT snapshot FROM outbound_events WHERE type = 'commission.created'").first<{
      snapshot: string;
    }>();
    expect(JSON.parse(snapshot!.snapshot)).toMatchObject({
      order_external_id: 'EDGE-100',
      amount_minor: 1138,
      currency: 'EUR',
      status: 'approved',
    });
  });

  it('a cancelled run returns its entries to the balance, in one batch with the status change', async () => {
    // A second sale, batched and put in a run, then cancelled: the next run pays it.
    const clickId = await clickThrough(linkCode, '192.0.2.45');
    await sendOrder(webhookSecret, 'order.created', 'EDGE-101', clickId, 'evt_101_created');
    await sendOrder(webhookSecret, 'order.completed', 'EDGE-101', clickId, 'evt_101_completed');
    const run = await call<{ asOf: string }>('/v1/admin/batch', { key: ADMIN_TOKEN, json: {} });
    const first = await call<Payout>('/v1/payouts', { key: finance, json: { asOf: run.body.asOf, minimumAmount: '1.00' } });
    expect(first.body.total).toEqual({ EUR: '11.38' });
    const cancelled = await call<Payout>(`/v1/payouts/${first.body.id}/cancel`, { key: finance, json: {} });
    expect(cancelled.body).toMatchObject({ status: 'cancelled' });
    expect(
      await count('SELECT count(*) AS n FROM payout_entries WHERE payout_id = ? AND active = 1', Number(first.body.id.slice(4))),
    ).toBe(0);
    const next = await call<Payout>('/v1/payouts', { key: finance, json: { asOf: run.body.asOf, minimumAmount: '1.00' } });
    expect(next.body).toMatchObject({ affiliates: 1, total: { EUR: '11.38' } });
  });

  it('merchant replaces its catalogue and sets a connector secret on D1', async () => {
    const catalog = await call<{ items: number; categories: string[] }>(`/v1/programs/${programId}/catalog`, {
      method: 'PUT',
      key: merchantKey,
      json: {
        items: [
          { sku: 'S1', category: 'shoes' },
          { sku: 'TV-55', category: 'electronics' },
          { sku: 'S2', category: 'shoes' },
        ],
      },
    });
    expect(catalog).toEqual({ status: 200, body: { programId: 'prg_1', items: 3, categories: ['electronics', 'shoes'] } });
    const replaced = await call(`/v1/programs/${programId}/catalog`, {
      method: 'PUT',
      key: merchantKey,
      json: { items: [{ sku: 'S9', category: 'socks' }] },
    });
    expect(replaced.status).toBe(200);
    expect((await env.DB.prepare('SELECT sku, category FROM catalog_items WHERE program_id = 1').all()).results).toEqual([
      { sku: 'S9', category: 'socks' },
    ]);

    const put = (secret: string) =>
      call(`/v1/programs/${programId}/connectors/shopify`, {
        method: 'PUT',
        key: merchantKey,
        json: { secret, graceSeconds: 600 },
      });
    expect((await put('shopify-secret-one')).status).toBe(200);
    expect((await put('shopify-secret-one')).status).toBe(200); // the secret in force again: nothing changes
    expect((await put('shopify-secret-two')).status).toBe(200);
    const rows = await env.DB.prepare(
      "SELECT secret, expires_at IS NULL AS current FROM connector_secrets WHERE platform = 'shopify' ORDER BY id",
    ).all();
    expect(rows.results).toEqual([
      { secret: 'shopify-secret-one', current: 0 },
      { secret: 'shopify-secret-two', current: 1 },
    ]);
  });
});
