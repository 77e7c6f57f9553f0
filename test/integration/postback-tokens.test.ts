import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DashboardBrowser } from '../support/dashboard-browser';
import { createTenant, startTestApp, type Tenant, type TestApp } from '../support/test-app';

/**
 * Postback tokens can be listed (prefix only), revoked and rotated with a grace period; the last
 * use is recorded at most once a minute; a retiring API key cannot manage them.
 */
let t: TestApp;
let a: Tenant;
let b: Tenant;
beforeEach(async () => {
  t = await startTestApp();
  a = await createTenant(t, 'A');
  b = await createTenant(t, 'B');
});
afterEach(() => t.close());

interface TokenView {
  id: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

async function newToken(key = a.merchant.apiKey) {
  const response = await t.request('/v1/postback-tokens', { method: 'POST', key });
  expect(response.status).toBe(201);
  return (await response.json()) as { id: string; token: string };
}

async function list(key = a.merchant.apiKey) {
  const response = await t.request('/v1/postback-tokens', { key });
  expect(response.status).toBe(200);
  return ((await response.json()) as { tokens: TokenView[] }).tokens;
}

let orders = 0;
function postback(token: string, programId = a.program.id) {
  const query = new URLSearchParams({ token, programId, orderId: `PBT-${++orders}`, amount: '10.00', currency: 'EUR' });
  return t.request(`/postback?${query}`);
}

const lastUsedInDb = (id: string) =>
  (
    t.store.raw.prepare('SELECT last_used_at FROM postback_tokens WHERE id = ?').get(Number(id.slice(4))) as {
      last_used_at: string | null;
    }
  ).last_used_at;

describe('postback tokens', () => {
  it('lists the tokens by prefix only, with their creation and last use, to their own merchant', async () => {
    const first = await newToken();
    t.clock.advance(1000);
    const second = await newToken();
    const tokens = await list();
    expect(tokens.map((x) => x.id)).toEqual([second.id, first.id]);
    expect(tokens[1]).toEqual({
      id: first.id,
      prefix: first.token.slice(0, 12),
      createdAt: '2026-11-25T10:00:00.000Z',
      lastUsedAt: null,
      revokedAt: null,
    });
    expect(JSON.stringify(tokens)).not.toContain(first.token.slice(12, 24));
    expect(await list(b.merchant.apiKey)).toEqual([]);

    expect((await postback(first.token)).status).toBe(200);
    expect((await list()).find((x) => x.id === first.id)!.lastUsedAt).toBe('2026-11-25T10:00:01.000Z');
  });

  it('records the last use at most once a minute per token', async () => {
    const { id, token } = await newToken();
    expect((await postback(token)).status).toBe(200);
    const firstUse = lastUsedInDb(id);
    t.clock.advance(30_000);
    expect((await postback(token)).status).toBe(200);
    expect(lastUsedInDb(id)).toBe(firstUse);
    t.clock.advance(30_000);
    expect((await postback(token)).status).toBe(200);
    expect(lastUsedInDb(id)).toBe('2026-11-25T10:01:00.000Z');
  });

  it('refuses a revoked token at once, keeps the first revocation time, and hides other merchants tokens', async () => {
    const { id, token } = await newToken();
    const other = await newToken(b.merchant.apiKey);
    expect((await t.request(`/v1/postback-tokens/${other.id}/revoke`, { method: 'POST', key: a.merchant.apiKey })).status).toBe(
      404,
    );
    expect((await t.request('/v1/postback-tokens/ptk_999999/revoke', { method: 'POST', key: a.merchant.apiKey })).status).toBe(
      404,
    );
    expect((await postback(other.token, b.program.id)).status).toBe(200);

    const revoked = await t.request(`/v1/postback-tokens/${id}/revoke`, { method: 'POST', key: a.merchant.apiKey });
    expect(await revoked.json()).toEqual({ id, revokedAt: '2026-11-25T10:00:00.000Z' });
    const refused = await postback(token);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ error: { code: 'unauthorized', message: 'unknown or revoked postback token' } });
    t.clock.advance(5000);
    const again = await t.request(`/v1/postback-tokens/${id}/revoke`, { method: 'POST', key: a.merchant.apiKey });
    expect(((await again.json()) as { revokedAt: string }).revokedAt).toBe('2026-11-25T10:00:00.000Z');
  });

  it('rotates with a grace period that a second rotation cannot lengthen', async () => {
    const old = await newToken();
    const rotate = (id: string, graceSeconds: number) =>
      t.request(`/v1/postback-tokens/${id}/rotate`, { method: 'POST', key: a.merchant.apiKey, json: { graceSeconds } });
    const rotated = await rotate(old.id, 600);
    expect(rotated.status).toBe(201);
    const next = (await rotated.json()) as { id: string; token: string; oldTokenRevokedAt: string };
    expect(next.oldTokenRevokedAt).toBe('2026-11-25T10:10:00.000Z');
    expect(next.token).toMatch(/^pbt_/);

    expect((await postback(old.token)).status).toBe(200);
    expect((await postback(next.token)).status).toBe(200);
    const again = await rotate(old.id, 604_800);
    expect(again.status).toBe(201);
    expect(((await again.json()) as { oldTokenRevokedAt: string }).oldTokenRevokedAt).toBe('2026-11-25T10:10:00.000Z');

    t.clock.advance(600_000);
    expect((await postback(old.token)).status).toBe(401);
    expect((await postback(next.token)).status).toBe(200);
    const dead = await rotate(old.id, 60);
    expect(dead.status).toBe(409);
    expect(((await dead.json()) as { error: { code: string } }).error.code).toBe('conflict');
  });

  it('a retiring API key may list tokens but not create, revoke or rotate them', async () => {
    const token = await newToken();
    const keys = (await (await t.request('/v1/keys', { key: a.merchant.apiKey })).json()) as { keys: { id: string }[] };
    const rotated = await t.request(`/v1/keys/${keys.keys[0]!.id}/rotate`, {
      method: 'POST',
      key: a.merchant.apiKey,
      json: { graceSeconds: 60 },
    });
    expect(rotated.status).toBe(201);
    expect((await list()).map((x) => x.id)).toEqual([token.id]);
    for (const [path, json] of [
      ['/v1/postback-tokens', undefined],
      [`/v1/postback-tokens/${token.id}/revoke`, undefined],
      [`/v1/postback-tokens/${token.id}/rotate`, {}],
    ] as const) {
      const response = await t.request(path, { method: 'POST', key: a.merchant.apiKey, json });
      expect(response.status).toBe(403);
    }
    expect(await list()).toEqual([expect.objectContaining({ id: token.id, revokedAt: null })]);
  });

  it('the merchant dashboard lists the tokens and revokes one', async () => {
    const kept = await newToken();
    const leaked = await newToken();
    const browser = new DashboardBrowser(t);
    expect((await browser.signIn(a.merchant.apiKey)).status).toBe(303);
    const page = await (await browser.fetch('/app/merchant/postback-tokens')).text();
    expect(page).toContain(`data-token="${kept.id}"`);
    expect(page).toContain(leaked.token.slice(0, 12));
    expect(page).not.toContain(leaked.token);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    const revoked = await browser.post(`/app/merchant/postback-tokens/${leaked.id}/revoke`, { csrf });
    expect(revoked.status).toBe(303);
    expect((await postback(leaked.token)).status).toBe(401);
    expect((await postback(kept.token)).status).toBe(200);
    const after = await (await browser.fetch(revoked.headers.get('location')!)).text();
    expect(after).toContain(`Token ${leaked.id} revoked`);
    expect(after).toMatch(new RegExp(`data-token="${leaked.id}"[\\s\\S]*?data-field="state">revoked`));
  });
});
