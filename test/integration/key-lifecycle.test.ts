import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHOSEN_ADMIN_PREFIX, ensureAdminKey } from '../../src/use-cases/api-keys';
import { ADMIN_TOKEN, createMerchant, startTestApp, type TestApp } from '../support/test-app';

/**
 * A rotated key dies when told: inside its grace period it serves ordinary requests only (it
 * cannot extend itself or revoke its replacement), and a rotated or revoked admin key is not
 * brought back by the next start with the same ADMIN_TOKEN.
 */
let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(() => t.close());

async function keysOf(key: string) {
  return (
    (await (await t.request('/v1/keys', { key })).json()) as { keys: { id: string; prefix: string; revokedAt: string | null }[] }
  ).keys;
}

async function rotate(key: string, keyId: string, graceSeconds: number) {
  return t.request(`/v1/keys/${keyId}/rotate`, { method: 'POST', key, json: { graceSeconds } });
}

describe('key lifecycle', () => {
  it('a key inside its rotation grace works, but cannot rotate, revoke or create keys', async () => {
    const merchant = await createMerchant(t);
    const [old] = await keysOf(merchant.apiKey);
    const rotated = await rotate(merchant.apiKey, old!.id, 60);
    expect(rotated.status).toBe(201);
    const { apiKey: replacement, keyId: replacementId } = (await rotated.json()) as { apiKey: string; keyId: string };
    const retireAt = (await keysOf(replacement)).find((k) => k.id === old!.id)!.revokedAt;

    expect((await t.request('/v1/programs', { key: merchant.apiKey })).status).toBe(200);
    const again = await rotate(merchant.apiKey, old!.id, 604_800);
    expect(again.status).toBe(403);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    expect((await t.request(`/v1/keys/${replacementId}/revoke`, { method: 'POST', key: merchant.apiKey })).status).toBe(403);
    expect((await t.request('/v1/postback-tokens', { method: 'POST', key: merchant.apiKey })).status).toBe(403);
    expect((await t.request('/v1/webhook-secrets/rotate', { method: 'POST', key: merchant.apiKey, json: {} })).status).toBe(403);

    // Nothing moved: the old key still retires when the first rotation said, the replacement lives.
    const after = await keysOf(replacement);
    expect(after.find((k) => k.id === old!.id)!.revokedAt).toBe(retireAt);
    expect(after.find((k) => k.id === replacementId)!.revokedAt).toBeNull();
    expect(after).toHaveLength(2);
    t.clock.advance(61_000);
    expect((await t.request('/v1/programs', { key: merchant.apiKey })).status).toBe(401);
    expect((await t.request('/v1/programs', { key: replacement })).status).toBe(200);
  });

  it('a retiring admin key cannot create accounts or keys', async () => {
    const [admin] = await keysOf(ADMIN_TOKEN);
    expect((await rotate(ADMIN_TOKEN, admin!.id, 60)).status).toBe(201);
    for (const path of ['/v1/merchants', '/v1/affiliates', '/v1/finance-keys'])
      expect(
        (await t.request(path, { method: 'POST', key: ADMIN_TOKEN, json: { name: 'X', email: 'x@example.com' } })).status,
      ).toBe(403);
    expect((await t.request('/v1/keys', { key: ADMIN_TOKEN })).status).toBe(200);
  });

  it('a rotated admin key stays dead when the next start configures the same ADMIN_TOKEN', async () => {
    const [admin] = await keysOf(ADMIN_TOKEN);
    const rotated = (await (await rotate(ADMIN_TOKEN, admin!.id, 0)).json()) as { apiKey: string };
    const outcome = await ensureAdminKey(t.deps, ADMIN_TOKEN);
    expect(outcome.refused).toMatch(/^ADMIN_TOKEN is an admin key that was rotated or revoked .* The live admin key still works/);
    expect(outcome.generated).toBeUndefined();
    expect((await t.request('/v1/keys', { key: ADMIN_TOKEN })).status).toBe(401);
    expect((await t.request('/v1/finance-keys', { method: 'POST', key: rotated.apiKey })).status).toBe(201);
    // Without ADMIN_TOKEN the replacement is the service's admin key: nothing is generated.
    expect(await ensureAdminKey(t.deps, undefined)).toEqual({});
  });

  it('a revoked admin key stays dead too, and a new ADMIN_TOKEN recovers', async () => {
    const [admin] = await keysOf(ADMIN_TOKEN);
    expect((await t.request(`/v1/keys/${admin!.id}/revoke`, { method: 'POST', key: ADMIN_TOKEN })).status).toBe(200);
    const outcome = await ensureAdminKey(t.deps, ADMIN_TOKEN);
    expect(outcome.refused).toContain('No admin key is live: set ADMIN_TOKEN to a new value');
    expect((await t.request('/v1/keys', { key: ADMIN_TOKEN })).status).toBe(401);
    const fresh = 'a-new-admin-token-after-revocation-0123';
    expect(await ensureAdminKey(t.deps, fresh)).toEqual({});
    expect((await t.request('/v1/finance-keys', { method: 'POST', key: fresh })).status).toBe(201);
  });

  it('stores no plain-text prefix of a chosen ADMIN_TOKEN', async () => {
    const chosen = 'zq7-my-own-admin-token-0123456789';
    await ensureAdminKey(t.deps, chosen);
    const prefixes = (
      t.store.raw.prepare("SELECT key_prefix FROM api_keys WHERE role = 'admin'").all() as { key_prefix: string }[]
    ).map((r) => r.key_prefix);
    expect(prefixes).toEqual([CHOSEN_ADMIN_PREFIX, CHOSEN_ADMIN_PREFIX]);
    expect(JSON.stringify(await keysOf(chosen))).not.toContain('zq7');
  });
});
