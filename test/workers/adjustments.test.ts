import { env, SELF } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, call, ORIGIN } from './api';
import { seed, type Seeded } from './seed';

/**
 * Manual adjustments and the audit log on D1, through the Worker: migration 0020's rebuilt
 * ledger takes an entry with no order, an adjustment, its ledger entry and its audit row land in
 * one batch(), a retry adds nothing, a bulk upload is all or nothing, and a payout run nets them.
 */
let s: Seeded;
let finance: string;

const count = async (sql: string) => (await env.DB.prepare(sql).first<{ n: number }>())!.n;

beforeAll(async () => {
  s = await seed();
  finance = (await call<{ apiKey: string }>('/v1/finance-keys', { key: ADMIN_TOKEN, json: {} })).body.apiKey;
});

async function adjust(amount: string, idempotencyKey?: string) {
  const response = await SELF.fetch(`${ORIGIN}/v1/adjustments`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${s.merchantKey}`,
      'content-type': 'application/json',
      ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
    },
    body: JSON.stringify({ programId: s.programId, affiliateId: s.affiliateId, amount, currency: 'EUR', reason: 'edge' }),
  });
  return { status: response.status, body: (await response.json()) as { id: string; amount: string } };
}

describe('manual adjustments on D1', () => {
  it('appends a bonus with its audit row once, however often it is retried', async () => {
    const first = await adjust('10.00', 'edge-1');
    const again = await adjust('10.00', 'edge-1');
    expect([first.status, again.status]).toEqual([201, 200]);
    expect(again.body.id).toBe(first.body.id);
    expect(await count("SELECT COUNT(*) AS n FROM ledger_entries WHERE kind = 'manual' AND order_id IS NULL")).toBe(1);
    expect(await count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'adjustment.create'")).toBe(1);
  });

  it('writes nothing from a bulk upload with a bad row', async () => {
    const csv = `programId,affiliateId,amount,currency,reason\n${s.programId},${s.affiliateId},1.00,EUR,a\n${s.programId},${s.affiliateId},abc,EUR,b\n`;
    const response = await SELF.fetch(`${ORIGIN}/v1/adjustments/bulk`, {
      method: 'POST',
      headers: { authorization: `Bearer ${finance}`, 'content-type': 'text/csv' },
      body: csv,
    });
    expect(response.status).toBe(422);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain('row 3');
    expect(await count('SELECT COUNT(*) AS n FROM adjustments')).toBe(1);
  });

  it('nets a penalty in the payout run, and the audit table refuses an UPDATE', async () => {
    expect((await adjust('-2.50')).status).toBe(201);
    const asOf = new Date(Date.now() + 1000).toISOString();
    await new Promise((r) => setTimeout(r, 1100));
    expect((await call('/v1/admin/batch', { key: ADMIN_TOKEN, json: { asOf } })).status).toBe(200);
    const run = await call<{ total: Record<string, string> }>('/v1/payouts', {
      key: finance,
      json: { asOf, minimumAmount: '1.00' },
    });
    expect(run.status).toBe(201);
    expect(run.body.total).toEqual({ EUR: '7.50' });
    await expect(env.DB.prepare("UPDATE audit_log SET action = 'x'").run()).rejects.toThrow(/append-only/);
  });
});
