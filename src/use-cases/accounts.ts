import { formatId } from '../domain/ids';
import { insertedId, nextId, returnedId, type WriteResult } from '../store/atomic-writes';
import type { AppDeps } from '../core/deps';
import { notFound } from '../core/errors';
import { issueApiKey, newApiKey } from './api-keys';

type AccountDeps = Pick<AppDeps, 'db' | 'writes' | 'crypto' | 'clock'>;

/** A Standard Webhooks secret: `whsec_` and base64 of 24 random bytes. */
export function newWebhookSecret(deps: Pick<AppDeps, 'crypto'>): string {
  const bytes = deps.crypto.randomBytes(24);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return `whsec_${btoa(binary)}`;
}

/** A merchant with its first webhook secret and API key, all three or none (one unit of work). */
export async function createMerchant(deps: AccountDeps, input: { name: string }) {
  const now = deps.clock.now().toISOString();
  const webhookSecret = newWebhookSecret(deps);
  const key = newApiKey(deps, { role: 'merchant', merchantId: insertedId('merchants') });
  const [merchant, stored] = await deps.writes.commit([
    deps.db
      .insertInto('merchants')
      .values({ id: nextId('merchants'), name: input.name, created_at: now })
      .returning('id')
      .compile(),
    key.insert,
    deps.db
      .insertInto('webhook_secrets')
      .values({ merchant_id: insertedId('merchants'), secret: webhookSecret, created_at: now })
      .compile(),
  ]);
  return {
    id: formatId('merchant', returnedId(merchant)),
    name: input.name,
    apiKey: key.apiKey,
    keyId: formatId('key', returnedId(stored)),
    webhookSecret,
  };
}

/** An affiliate with its first API key, both or neither. */
export async function createAffiliate(
  deps: AccountDeps,
  input: { name: string; email?: string | undefined; parentId?: number | undefined },
) {
  if (input.parentId !== undefined) {
    // Affiliates are never deleted, so the parent read here is still there when the unit of
    // work commits (and its foreign key would refuse it otherwise).
    const parent = await deps.db.selectFrom('affiliates').select('id').where('id', '=', input.parentId).executeTakeFirst();
    if (!parent) throw notFound('parent affiliate');
  }
  const made = newAffiliate(deps, input);
  return made.created(await deps.writes.commit(made.statements));
}

/**
 * The statements that insert an affiliate and its first key, for a unit of work that may carry
 * more (a sign-up marks its request used in the same one); `created` reads the answer from the
 * commit's results.
 */
export function newAffiliate(
  deps: Omit<AccountDeps, 'writes'>,
  input: { name: string; email?: string | undefined; parentId?: number | undefined },
) {
  const now = deps.clock.now().toISOString();
  const key = newApiKey(deps, { role: 'affiliate', affiliateId: insertedId('affiliates') });
  const statements = [
    deps.db
      .insertInto('affiliates')
      .values({
        id: nextId('affiliates'),
        name: input.name,
        email: input.email ?? null,
        parent_id: input.parentId ?? null,
        created_at: now,
      })
      .returning('id')
      .compile(),
    key.insert,
  ];
  const created = (results: WriteResult[]) => ({
    id: formatId('affiliate', returnedId(results[0]!)),
    name: input.name,
    email: input.email ?? null,
    parentId: input.parentId === undefined ? null : formatId('affiliate', input.parentId),
    apiKey: key.apiKey,
    keyId: formatId('key', returnedId(results[1]!)),
  });
  return { statements, created };
}

export async function createFinanceKey(deps: AccountDeps) {
  const key = await issueApiKey(deps, { role: 'finance' });
  return { apiKey: key.apiKey, keyId: formatId('key', key.keyId) };
}
