import { formatId } from '../../domain/ids';
import type { AppDeps } from '../deps';
import { notFound } from '../errors';
import { issueApiKey } from './api-keys';

type AccountDeps = Pick<AppDeps, 'db' | 'crypto' | 'clock'>;

/** A Standard Webhooks secret: `whsec_` and base64 of 24 random bytes. */
export function newWebhookSecret(deps: Pick<AppDeps, 'crypto'>): string {
  const bytes = deps.crypto.randomBytes(24);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return `whsec_${btoa(binary)}`;
}

export async function createMerchant(deps: AccountDeps, input: { name: string }) {
  const now = deps.clock.now().toISOString();
  return deps.db.transaction().execute(async (trx) => {
    const merchant = await trx
      .insertInto('merchants')
      .values({ name: input.name, created_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    const webhookSecret = newWebhookSecret(deps);
    await trx.insertInto('webhook_secrets').values({ merchant_id: merchant.id, secret: webhookSecret, created_at: now }).execute();
    const key = await issueApiKey({ ...deps, db: trx }, { role: 'merchant', merchantId: merchant.id });
    return {
      id: formatId('merchant', merchant.id),
      name: input.name,
      apiKey: key.apiKey,
      keyId: formatId('key', key.keyId),
      webhookSecret,
    };
  });
}

export async function createAffiliate(
  deps: AccountDeps,
  input: { name: string; email?: string | undefined; parentId?: number | undefined },
) {
  const now = deps.clock.now().toISOString();
  return deps.db.transaction().execute(async (trx) => {
    if (input.parentId !== undefined) {
      const parent = await trx.selectFrom('affiliates').select('id').where('id', '=', input.parentId).executeTakeFirst();
      if (!parent) throw notFound('parent affiliate');
    }
    const affiliate = await trx
      .insertInto('affiliates')
      .values({ name: input.name, email: input.email ?? null, parent_id: input.parentId ?? null, created_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    const key = await issueApiKey({ ...deps, db: trx }, { role: 'affiliate', affiliateId: affiliate.id });
    return {
      id: formatId('affiliate', affiliate.id),
      name: input.name,
      email: input.email ?? null,
      parentId: input.parentId === undefined ? null : formatId('affiliate', input.parentId),
      apiKey: key.apiKey,
      keyId: formatId('key', key.keyId),
    };
  });
}

export async function createFinanceKey(deps: AccountDeps) {
  const key = await issueApiKey(deps, { role: 'finance' });
  return { apiKey: key.apiKey, keyId: formatId('key', key.keyId) };
}
