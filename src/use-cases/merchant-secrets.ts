import { encodeBase64Url } from '../domain/base64url';
import { formatId, parseId } from '../domain/ids';
import { returnedId } from '../store/atomic-writes';
import { AppError, notFound } from '../core/errors';
import type { AppDeps } from '../core/deps';
import type { Principal } from '../core/principal';
import { newWebhookSecret } from './accounts';

type SecretDeps = Pick<AppDeps, 'db' | 'writes' | 'clock' | 'crypto'>;

export const MAX_SECRET_GRACE_SECONDS = 7 * 24 * 3600;

/**
 * A new webhook secret; the ones before it keep verifying for `graceSeconds` so the shop can
 * switch without dropping events (Standard Webhooks rotation).
 */
export async function rotateWebhookSecret(deps: SecretDeps, principal: Principal, graceSeconds: number) {
  const now = deps.clock.now();
  const expiresAt = new Date(now.getTime() + graceSeconds * 1000).toISOString();
  const webhookSecret = newWebhookSecret(deps);
  await deps.writes.commit([
    deps.db
      .updateTable('webhook_secrets')
      .set({ expires_at: expiresAt })
      .where('merchant_id', '=', principal.merchantId!)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', expiresAt)]))
      .compile(),
    deps.db
      .insertInto('webhook_secrets')
      .values({ merchant_id: principal.merchantId!, secret: webhookSecret, created_at: now.toISOString() })
      .compile(),
  ]);
  return { webhookSecret, previousSecretsExpireAt: expiresAt };
}

/**
 * A postback token's last use is written at most this often per token: a postback already reads
 * the token's row, and one UPDATE a minute keeps "last used" useful without a write per order.
 */
export const POSTBACK_USE_RESOLUTION_MS = 60_000;

/** A postback token with its insert statement, shown once and stored as a hash. */
function newPostbackToken(deps: SecretDeps, merchantId: number) {
  const token = `pbt_${encodeBase64Url(deps.crypto.randomBytes(24))}`;
  const insert = deps.db
    .insertInto('postback_tokens')
    .values({
      merchant_id: merchantId,
      token_hash: deps.crypto.sha256Hex(token),
      token_prefix: token.slice(0, 12),
      created_at: deps.clock.now().toISOString(),
    })
    .returning('id')
    .compile();
  return { token, insert };
}

/** A token for the unsigned server-to-server postback, shown once. */
export async function createPostbackToken(deps: SecretDeps, principal: Principal) {
  const { token, insert } = newPostbackToken(deps, principal.merchantId!);
  const [stored] = await deps.writes.commit([insert]);
  return { id: formatId('postbackToken', returnedId(stored)), token };
}

/** The merchant's postback tokens, newest first: prefix, created, last used, revoked (never the token). */
export async function listPostbackTokens(deps: Pick<AppDeps, 'db'>, principal: Principal) {
  const rows = await deps.db
    .selectFrom('postback_tokens')
    .select(['id', 'token_prefix', 'created_at', 'last_used_at', 'revoked_at'])
    .where('merchant_id', '=', principal.merchantId!)
    .orderBy('id', 'desc')
    .execute();
  return rows.map((row) => ({
    id: formatId('postbackToken', row.id),
    prefix: row.token_prefix,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  }));
}

/** One of the merchant's tokens; another merchant's answers as a missing one (P20). */
async function findOwnPostbackToken(deps: Pick<AppDeps, 'db'>, principal: Principal, publicId: string) {
  const id = parseId('postbackToken', publicId);
  const row =
    id === undefined
      ? undefined
      : await deps.db
          .selectFrom('postback_tokens')
          .select(['id', 'revoked_at'])
          .where('id', '=', id)
          .where('merchant_id', '=', principal.merchantId!)
          .executeTakeFirst();
  if (!row) throw notFound('postback token');
  return row;
}

/** Revokes a token at once; revoking a dead one keeps its first revocation time. */
export async function revokePostbackToken(deps: Pick<AppDeps, 'db' | 'clock'>, principal: Principal, publicId: string) {
  const row = await findOwnPostbackToken(deps, principal, publicId);
  const now = deps.clock.now().toISOString();
  if (row.revoked_at !== null && row.revoked_at <= now) return { id: publicId, revokedAt: row.revoked_at };
  await deps.db.updateTable('postback_tokens').set({ revoked_at: now }).where('id', '=', row.id).execute();
  return { id: publicId, revokedAt: now };
}

/**
 * A new token for the same merchant; the old one keeps working for `graceSeconds` while the shop
 * is switched over. Rotating a token already in its grace never lengthens that grace, so a
 * leaked token cannot keep itself alive by rotating again.
 */
export async function rotatePostbackToken(deps: SecretDeps, principal: Principal, publicId: string, graceSeconds: number) {
  const row = await findOwnPostbackToken(deps, principal, publicId);
  const now = deps.clock.now();
  if (row.revoked_at !== null && row.revoked_at <= now.toISOString()) {
    throw new AppError('conflict', 'this postback token is already revoked');
  }
  const asked = new Date(now.getTime() + graceSeconds * 1000).toISOString();
  const revokedAt = row.revoked_at !== null && row.revoked_at < asked ? row.revoked_at : asked;
  const next = newPostbackToken(deps, principal.merchantId!);
  const [stored] = await deps.writes.commit([
    next.insert,
    deps.db.updateTable('postback_tokens').set({ revoked_at: revokedAt }).where('id', '=', row.id).compile(),
  ]);
  return { id: formatId('postbackToken', returnedId(stored)), token: next.token, oldTokenRevokedAt: revokedAt };
}

/**
 * The merchant a postback token belongs to, or undefined when it is unknown or revoked (a
 * rotated token counts until its grace ends). Records the use, at most once a minute.
 */
export async function merchantForPostbackToken(
  deps: Pick<AppDeps, 'db' | 'crypto' | 'clock'>,
  token: string,
): Promise<number | undefined> {
  if (token.length < 20 || token.length > 100) return undefined;
  const row = await deps.db
    .selectFrom('postback_tokens')
    .select(['id', 'merchant_id', 'last_used_at', 'revoked_at'])
    .where('token_hash', '=', deps.crypto.sha256Hex(token))
    .executeTakeFirst();
  if (!row) return undefined;
  const now = deps.clock.now();
  const nowText = now.toISOString();
  if (row.revoked_at !== null && row.revoked_at <= nowText) return undefined;
  if (row.last_used_at === null || Date.parse(row.last_used_at) <= now.getTime() - POSTBACK_USE_RESOLUTION_MS) {
    await deps.db.updateTable('postback_tokens').set({ last_used_at: nowText }).where('id', '=', row.id).execute();
  }
  return row.merchant_id;
}
