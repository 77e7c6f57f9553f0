import { encodeBase64Url } from '../domain/base64url';
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

/** A token for the unsigned server-to-server postback, shown once and stored as a hash. */
export async function createPostbackToken(deps: SecretDeps, principal: Principal) {
  const token = `pbt_${encodeBase64Url(deps.crypto.randomBytes(24))}`;
  await deps.db
    .insertInto('postback_tokens')
    .values({
      merchant_id: principal.merchantId!,
      token_hash: deps.crypto.sha256Hex(token),
      created_at: deps.clock.now().toISOString(),
    })
    .execute();
  return { token };
}

export async function merchantForPostbackToken(deps: Pick<AppDeps, 'db' | 'crypto'>, token: string): Promise<number | undefined> {
  if (token.length < 20 || token.length > 100) return undefined;
  const row = await deps.db
    .selectFrom('postback_tokens')
    .select('merchant_id')
    .where('token_hash', '=', deps.crypto.sha256Hex(token))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return row?.merchant_id;
}
