import { encodeBase64Url } from '../../domain/base64url';
import { formatId } from '../../domain/ids';
import type { Role } from '../../store/database';
import type { AppDeps } from '../deps';
import type { Principal } from '../env';
import { AppError, notFound } from '../errors';

type KeyDeps = Pick<AppDeps, 'db' | 'crypto' | 'clock'>;

/** Grace period limit for a rotated key: long enough to redeploy, short enough to matter. */
export const MAX_ROTATION_GRACE_SECONDS = 7 * 24 * 3600;

export interface IssuedKey {
  keyId: number;
  apiKey: string;
}

/** A random key, shown once; only its SHA-256 is stored (P22). 192 bits need no slow hash. */
export async function issueApiKey(
  deps: KeyDeps,
  owner: { role: Role; merchantId?: number | null; affiliateId?: number | null },
): Promise<IssuedKey> {
  const apiKey = `cl_${owner.role.slice(0, 3)}_${encodeBase64Url(deps.crypto.randomBytes(24))}`;
  const row = await deps.db
    .insertInto('api_keys')
    .values({
      key_hash: deps.crypto.sha256Hex(apiKey),
      key_prefix: apiKey.slice(0, 12),
      role: owner.role,
      merchant_id: owner.merchantId ?? null,
      affiliate_id: owner.affiliateId ?? null,
      created_at: deps.clock.now().toISOString(),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { keyId: row.id, apiKey };
}

/** The principal behind a bearer token, or undefined when it is unknown, revoked or expired. */
export async function authenticate(deps: KeyDeps, token: string): Promise<Principal | undefined> {
  if (token.length < 20 || token.length > 200) return undefined;
  const row = await deps.db
    .selectFrom('api_keys')
    .select(['id', 'role', 'merchant_id', 'affiliate_id', 'revoked_at'])
    .where('key_hash', '=', deps.crypto.sha256Hex(token))
    .executeTakeFirst();
  if (!row) return undefined;
  if (row.revoked_at !== null && row.revoked_at <= deps.clock.now().toISOString()) return undefined;
  return { keyId: row.id, role: row.role, merchantId: row.merchant_id, affiliateId: row.affiliate_id };
}

/** Keys a principal may manage: admin any; everyone else the keys of its own tenant and role. */
async function findManagedKey(deps: KeyDeps, principal: Principal, keyId: number) {
  const row = await deps.db.selectFrom('api_keys').selectAll().where('id', '=', keyId).executeTakeFirst();
  if (!row) throw notFound('key');
  const own =
    principal.role === 'admin' ||
    (row.role === principal.role && row.merchant_id === principal.merchantId && row.affiliate_id === principal.affiliateId);
  if (!own) throw notFound('key');
  return row;
}

export async function listKeys(deps: KeyDeps, principal: Principal) {
  let query = deps.db
    .selectFrom('api_keys')
    .select(['id', 'key_prefix', 'role', 'merchant_id', 'affiliate_id', 'created_at', 'revoked_at'])
    .orderBy('id');
  if (principal.role !== 'admin') {
    query = query.where('role', '=', principal.role);
    query =
      principal.merchantId === null ? query.where('merchant_id', 'is', null) : query.where('merchant_id', '=', principal.merchantId);
    query =
      principal.affiliateId === null
        ? query.where('affiliate_id', 'is', null)
        : query.where('affiliate_id', '=', principal.affiliateId);
  }
  const rows = await query.execute();
  return rows.map((row) => ({
    id: formatId('key', row.id),
    prefix: row.key_prefix,
    role: row.role,
    merchantId: row.merchant_id === null ? null : formatId('merchant', row.merchant_id),
    affiliateId: row.affiliate_id === null ? null : formatId('affiliate', row.affiliate_id),
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  }));
}

export async function revokeKey(deps: KeyDeps, principal: Principal, keyId: number): Promise<{ revokedAt: string }> {
  const row = await findManagedKey(deps, principal, keyId);
  const now = deps.clock.now().toISOString();
  // Revoking again keeps the first revocation time, unless a grace period was still running.
  if (row.revoked_at !== null && row.revoked_at <= now) return { revokedAt: row.revoked_at };
  await deps.db.updateTable('api_keys').set({ revoked_at: now }).where('id', '=', keyId).execute();
  return { revokedAt: now };
}

/** A new key with the same role and tenant; the old one stops working after `graceSeconds`. */
export async function rotateKey(
  deps: KeyDeps,
  principal: Principal,
  keyId: number,
  graceSeconds: number,
): Promise<IssuedKey & { oldKeyRevokedAt: string }> {
  const row = await findManagedKey(deps, principal, keyId);
  const now = deps.clock.now();
  if (row.revoked_at !== null && row.revoked_at <= now.toISOString()) {
    throw new AppError('conflict', 'this key is already revoked');
  }
  const revokedAt = new Date(now.getTime() + graceSeconds * 1000).toISOString();
  const issued = await deps.db.transaction().execute(async (trx) => {
    const next = await issueApiKey({ ...deps, db: trx }, { role: row.role, merchantId: row.merchant_id, affiliateId: row.affiliate_id });
    await trx.updateTable('api_keys').set({ revoked_at: revokedAt }).where('id', '=', keyId).execute();
    return next;
  });
  return { ...issued, oldKeyRevokedAt: revokedAt };
}

const ADMIN_KEY_SETTING = 'admin_key_id';

/**
 * Makes sure exactly one admin key is live. With ADMIN_TOKEN set, that token is the admin key
 * (a changed token revokes the previous one); without it, a key is generated once and returned
 * so the caller can print it: it is never shown again.
 */
export async function ensureAdminKey(deps: KeyDeps, configuredToken: string | undefined): Promise<{ generated?: string }> {
  const setting = await deps.db.selectFrom('settings').select('value').where('key', '=', ADMIN_KEY_SETTING).executeTakeFirst();
  const current = setting
    ? await deps.db.selectFrom('api_keys').selectAll().where('id', '=', Number(setting.value)).executeTakeFirst()
    : undefined;
  const live = current && current.revoked_at === null ? current : undefined;
  if (configuredToken === undefined) {
    if (live) return {};
  } else if (live && live.key_hash === deps.crypto.sha256Hex(configuredToken)) {
    return {};
  }
  const now = deps.clock.now().toISOString();
  return deps.db.transaction().execute(async (trx) => {
    if (live) await trx.updateTable('api_keys').set({ revoked_at: now }).where('id', '=', live.id).execute();
    let keyId: number;
    let generated: string | undefined;
    if (configuredToken === undefined) {
      const issued = await issueApiKey({ ...deps, db: trx }, { role: 'admin' });
      keyId = issued.keyId;
      generated = issued.apiKey;
    } else {
      const hash = deps.crypto.sha256Hex(configuredToken);
      const existing = await trx.selectFrom('api_keys').select(['id', 'role']).where('key_hash', '=', hash).executeTakeFirst();
      if (existing) {
        if (existing.role !== 'admin') throw new Error('ADMIN_TOKEN equals an existing non-admin API key; choose another');
        await trx.updateTable('api_keys').set({ revoked_at: null }).where('id', '=', existing.id).execute();
        keyId = existing.id;
      } else {
        const row = await trx
          .insertInto('api_keys')
          .values({ key_hash: hash, key_prefix: configuredToken.slice(0, 6), role: 'admin', created_at: now })
          .returning('id')
          .executeTakeFirstOrThrow();
        keyId = row.id;
      }
    }
    await trx
      .insertInto('settings')
      .values({ key: ADMIN_KEY_SETTING, value: String(keyId) })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value: String(keyId) }))
      .execute();
    return generated === undefined ? {} : { generated };
  });
}
