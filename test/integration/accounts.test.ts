import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureAdminKey } from '../../src/use-cases/api-keys';
import { ADMIN_TOKEN, createAffiliate, createMerchant, startTestApp, type TestApp } from '../support/test-app';

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(async () => {
  await t.close();
});

describe('accounts and keys', () => {
  it('creates a merchant with an API key and a Standard Webhooks secret', async () => {
    const response = await t.request('/v1/merchants', { method: 'POST', key: ADMIN_TOKEN, json: { name: 'Acme Shoes' } });
    expect(response.status).toBe(201);
    const body = (await response.json()) as Record<string, string>;
    expect(body.id).toMatch(/^mer_\d+$/);
    expect(body.apiKey).toMatch(/^cl_mer_[A-Za-z0-9_-]{32}$/);
    expect(body.webhookSecret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    const me = await t.request('/v1/programs', { key: body.apiKey! });
    expect(me.status).toBe(200);
  });

  it('creates recruited affiliates and refuses an unknown parent', async () => {
    const parent = await createAffiliate(t, 'Team lead');
    const child = await createAffiliate(t, 'Recruit', { parentId: parent.id, email: 'r@example.com' });
    expect(child).toMatchObject({ parentId: parent.id, email: 'r@example.com' });
    for (const parentId of ['aff_999', 'mer_1', 'nonsense']) {
      const response = await t.request('/v1/affiliates', { method: 'POST', key: ADMIN_TOKEN, json: { name: 'x', parentId } });
      expect(response.status).toBe(404);
    }
    const count = t.store.raw.prepare('SELECT COUNT(*) AS n FROM affiliates').get() as { n: number };
    expect(count.n).toBe(2);
  });

  it('stores keys only as hashes (P22): no key or admin token appears anywhere in the database file', async () => {
    const merchant = await createMerchant(t);
    const affiliate = await createAffiliate(t);
    const finance = (await (await t.request('/v1/finance-keys', { method: 'POST', key: ADMIN_TOKEN })).json()) as {
      apiKey: string;
    };
    t.store.raw.pragma('wal_checkpoint(TRUNCATE)');
    const files = ['clickledger.sqlite', 'clickledger.sqlite-wal'].map((f) => {
      try {
        return readFileSync(join(t.dir, f)).toString('latin1');
      } catch {
        return '';
      }
    });
    const dump = JSON.stringify(t.store.raw.prepare('SELECT * FROM api_keys').all());
    for (const secret of [merchant.apiKey, affiliate.apiKey, finance.apiKey, ADMIN_TOKEN]) {
      for (const text of [...files, dump]) expect(text.includes(secret)).toBe(false);
      // Half a key is still too much to keep.
      for (const text of [...files, dump]) expect(text.includes(secret.slice(12))).toBe(false);
    }
  });

  it('fails a revoked key on the very next request (P22)', async () => {
    const merchant = await createMerchant(t);
    expect((await t.request('/v1/programs', { key: merchant.apiKey })).status).toBe(200);
    const keys = (await (await t.request('/v1/keys', { key: merchant.apiKey })).json()) as {
      keys: { id: string; prefix: string }[];
    };
    expect(keys.keys).toHaveLength(1);
    expect(merchant.apiKey.startsWith(keys.keys[0]!.prefix)).toBe(true);
    const revoke = await t.request(`/v1/keys/${keys.keys[0]!.id}/revoke`, { method: 'POST', key: merchant.apiKey });
    expect(revoke.status).toBe(200);
    const after = await t.request('/v1/programs', { key: merchant.apiKey });
    expect(after.status).toBe(401);
    expect(await after.json()).toEqual({ error: { code: 'unauthorized', message: 'unknown or revoked API key' } });
  });

  it('rotates a key: the new one works, the old one keeps working only for the grace period', async () => {
    const merchant = await createMerchant(t);
    const [key] = ((await (await t.request('/v1/keys', { key: merchant.apiKey })).json()) as { keys: { id: string }[] }).keys;
    const rotated = await t.request(`/v1/keys/${key!.id}/rotate`, {
      method: 'POST',
      key: merchant.apiKey,
      json: { graceSeconds: 60 },
    });
    expect(rotated.status).toBe(201);
    const { apiKey } = (await rotated.json()) as { apiKey: string };
    expect((await t.request('/v1/programs', { key: apiKey })).status).toBe(200);
    expect((await t.request('/v1/programs', { key: merchant.apiKey })).status).toBe(200);
    t.clock.advance(61_000);
    expect((await t.request('/v1/programs', { key: merchant.apiKey })).status).toBe(401);
    expect((await t.request('/v1/programs', { key: apiKey })).status).toBe(200);
  });

  it("does not let a tenant see or revoke another tenant's keys", async () => {
    const a = await createMerchant(t, 'A');
    const b = await createMerchant(t, 'B');
    const [bKey] = ((await (await t.request('/v1/keys', { key: b.apiKey })).json()) as { keys: { id: string }[] }).keys;
    const attempt = await t.request(`/v1/keys/${bKey!.id}/revoke`, { method: 'POST', key: a.apiKey });
    expect(attempt.status).toBe(404);
    expect((await t.request('/v1/programs', { key: b.apiKey })).status).toBe(200);
  });

  it('answers 401 for missing or malformed credentials', async () => {
    for (const header of [undefined, 'Basic abc', 'Bearer', 'Bearer short', `Bearer ${'x'.repeat(40)}`]) {
      const response = await t.request('/v1/programs', { headers: header ? { authorization: header } : {} });
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    }
  });

  it('replaces the admin key when ADMIN_TOKEN changes, and generates one only when there is none', async () => {
    const next = 'another-admin-token-abcdefghijklmnop';
    expect(await ensureAdminKey(t.deps, next)).toEqual({});
    expect((await t.request('/v1/finance-keys', { method: 'POST', key: ADMIN_TOKEN })).status).toBe(401);
    expect((await t.request('/v1/finance-keys', { method: 'POST', key: next })).status).toBe(201);
    expect(await ensureAdminKey(t.deps, undefined)).toEqual({});
    expect((await t.request('/v1/finance-keys', { method: 'POST', key: next })).status).toBe(201);
  });
});
