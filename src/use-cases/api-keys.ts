import { type CompiledQuery, type RawBuilder, sql } from 'kysely';
import { encodeBase64Url } from '../domain/base64url';
import { formatId } from '../domain/ids';
import { returnedId } from '../store/atomic-writes';
import type { Role } from '../core/principal';
import type { AppDeps } from '../core/deps';
import type { Principal } from '../core/principal';
import { AppError, notFound } from '../core/errors';

type KeyDeps = Pick<AppDeps, 'db' | 'writes' | 'crypto' | 'clock'>;
/** Reading keys and revoking one (a single statement) need no unit of work. */
type KeyReadDeps = Omit<KeyDeps, 'writes'>;

/** Grace period limit for a rotated key: long enough to redeploy, short enough to matter. */
export const MAX_ROTATION_GRACE_SECONDS = 7 * 24 * 3600;

export interface IssuedKey {
  keyId: number;
  apiKey: string;
}

export interface KeyOwner {
  role: Role;
  /** A number, or the merchant or affiliate the same unit of work creates (`insertedId`). */
  merchantId?: number | RawBuilder<number> | null;
  affiliateId?: number | RawBuilder<number> | null;
}

/**
 * A random key, shown once; only its SHA-256 is stored (P22). 192 bits need no slow hash.
 * Returned as the statement that stores it (RETURNING its id), for the caller's unit of work.
 */
export function newApiKey(deps: KeyReadDeps, owner: KeyOwner): { apiKey: string; insert: CompiledQuery<{ id: number }> } {
  const apiKey = `cl_${owner.role.slice(0, 3)}_${encodeBase64Url(deps.crypto.randomBytes(24))}`;
  const insert = deps.db
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
    .compile();
  return { apiKey, insert };
}

/** One key on its own. */
export async function issueApiKey(deps: KeyDeps, owner: KeyOwner): Promise<IssuedKey> {
  const { apiKey, insert } = newApiKey(deps, owner);
  const [stored] = await deps.writes.commit([insert]);
  return { keyId: returnedId(stored), apiKey };
}

/** The principal behind a bearer token, or undefined when it is unknown, revoked or expired. */
export async function authenticate(deps: KeyReadDeps, token: string): Promise<Principal | undefined> {
  if (token.length < 20 || token.length > 200) return undefined;
  const row = await deps.db
    .selectFrom('api_keys')
    .select(['id', 'role', 'merchant_id', 'affiliate_id', 'revoked_at'])
    .where('key_hash', '=', deps.crypto.sha256Hex(token))
    .executeTakeFirst();
  if (!row) return undefined;
  if (row.revoked_at !== null && row.revoked_at <= deps.clock.now().toISOString()) return undefined;
  const principal: Principal = { keyId: row.id, role: row.role, merchantId: row.merchant_id, affiliateId: row.affiliate_id };
  if (row.revoked_at !== null) principal.retiresAt = row.revoked_at;
  return principal;
}

/** Keys a principal may manage: admin any; everyone else the keys of its own tenant and role. */
async function findManagedKey(deps: KeyReadDeps, principal: Principal, keyId: number) {
  const row = await deps.db.selectFrom('api_keys').selectAll().where('id', '=', keyId).executeTakeFirst();
  if (!row) throw notFound('key');
  const own =
    principal.role === 'admin' ||
    (row.role === principal.role && row.merchant_id === principal.merchantId && row.affiliate_id === principal.affiliateId);
  if (!own) throw notFound('key');
  return row;
}

export async function listKeys(deps: KeyReadDeps, principal: Principal) {
  let query = deps.db
    .selectFrom('api_keys')
    .select(['id', 'key_prefix', 'role', 'merchant_id', 'affiliate_id', 'created_at', 'revoked_at'])
    .orderBy('id');
  if (principal.role !== 'admin') {
    query = query.where('role', '=', principal.role);
    query =
      principal.merchantId === null
        ? query.where('merchant_id', 'is', null)
        : query.where('merchant_id', '=', principal.merchantId);
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

export async function revokeKey(deps: KeyReadDeps, principal: Principal, keyId: number): Promise<{ revokedAt: string }> {
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
  const next = newApiKey(deps, { role: row.role, merchantId: row.merchant_id, affiliateId: row.affiliate_id });
  // Rotating the service's own admin key makes the replacement its own: a restart with the old
  // ADMIN_TOKEN must not bring the rotated key back (ensureAdminKey).
  const isServiceAdmin = row.role === 'admin' && (await serviceAdminKeyId(deps)) === keyId;
  const [stored] = await deps.writes.commit([
    next.insert,
    deps.db.updateTable('api_keys').set({ revoked_at: revokedAt }).where('id', '=', keyId).compile(),
    ...(isServiceAdmin ? [adminKeyIs(deps, deps.crypto.sha256Hex(next.apiKey))] : []),
  ]);
  return { keyId: returnedId(stored), apiKey: next.apiKey, oldKeyRevokedAt: revokedAt };
}

const ADMIN_KEY_SETTING = 'admin_key_id';

/** The id of the admin key the service knows as its own, if any. */
async function serviceAdminKeyId(deps: KeyReadDeps): Promise<number | undefined> {
  const setting = await deps.db.selectFrom('settings').select('value').where('key', '=', ADMIN_KEY_SETTING).executeTakeFirst();
  return setting ? Number(setting.value) : undefined;
}

/** The admin key the service knows as its own (ADMIN_TOKEN's, or the one it generated). */
function adminKeyIs(deps: KeyReadDeps, hash: string): CompiledQuery {
  // Named by its hash: the key's id is not known until the unit of work has inserted it.
  return deps.db
    .insertInto('settings')
    .columns(['key', 'value'])
    .expression((eb) =>
      eb
        .selectFrom('api_keys')
        .select([eb.val(ADMIN_KEY_SETTING).as('key'), sql<string>`cast(id as text)`.as('value')])
        .where('key_hash', '=', hash),
    )
    .onConflict((oc) => oc.column('key').doUpdateSet((eb) => ({ value: eb.ref('excluded.value') })))
    .compile();
}

/** What a start found: a key to print once, or a refused ADMIN_TOKEN to tell the operator about. */
export interface AdminKeyOutcome {
  generated?: string;
  refused?: string;
}

/**
 * Makes sure an admin key is live. With ADMIN_TOKEN set, that token is the admin key (a new
 * token revokes the previous one); without it, a key is generated once and returned so the
 * caller can print it: it is never shown again. A token that was rotated or revoked stays dead:
 * configuring it again is refused (the caller logs why), or a stolen key would come back to
 * life at the next restart.
 */
export async function ensureAdminKey(deps: KeyDeps, configuredToken: string | undefined): Promise<AdminKeyOutcome> {
  const currentId = await serviceAdminKeyId(deps);
  const current =
    currentId === undefined
      ? undefined
      : await deps.db.selectFrom('api_keys').selectAll().where('id', '=', currentId).executeTakeFirst();
  const live = current && current.revoked_at === null ? current : undefined;
  const now = deps.clock.now().toISOString();
  const revokeLive = live ? [deps.db.updateTable('api_keys').set({ revoked_at: now }).where('id', '=', live.id).compile()] : [];
  if (configuredToken === undefined) {
    if (live) return {};
    const issued = newApiKey(deps, { role: 'admin' });
    await deps.writes.commit([issued.insert, adminKeyIs(deps, deps.crypto.sha256Hex(issued.apiKey))]);
    return { generated: issued.apiKey };
  }
  const hash = deps.crypto.sha256Hex(configuredToken);
  if (live && live.key_hash === hash) return {};
  const existing = await deps.db
    .selectFrom('api_keys')
    .select(['role', 'revoked_at'])
    .where('key_hash', '=', hash)
    .executeTakeFirst();
  if (existing && existing.role !== 'admin') throw new Error('ADMIN_TOKEN equals an existing non-admin API key; choose another');
  if (existing && existing.revoked_at !== null) {
    return {
      refused:
        `ADMIN_TOKEN is an admin key that was rotated or revoked (it stops or stopped working at ${existing.revoked_at}); ` +
        `it stays revoked. ${live ? 'The live admin key still works: unset ADMIN_TOKEN, or set' : 'No admin key is live: set'} ` +
        'ADMIN_TOKEN to a new value to make that the admin key.',
    };
  }
  // A chosen token's first characters are not stored: the prefix only labels it. Inserting does
  // nothing if two isolates (Workers) store the same token at once: both end with one key.
  await deps.writes.commit([
    ...revokeLive,
    deps.db
      .insertInto('api_keys')
      .values({ key_hash: hash, key_prefix: CHOSEN_ADMIN_PREFIX, role: 'admin', created_at: now })
      .onConflict((oc) => oc.column('key_hash').doNothing())
      .compile(),
    adminKeyIs(deps, hash),
  ]);
  return {};
}

/** The label listed for a key chosen through ADMIN_TOKEN, in place of its first characters. */
export const CHOSEN_ADMIN_PREFIX = '(ADMIN_TOKEN)';
