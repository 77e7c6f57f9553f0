import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { ClickSecrets } from '../core/deps';
import type { Database } from '../store/database';
import { parseSigningKeys } from './config';

const SECRETS_KEY = 'click_secrets';

/**
 * The secrets of secrets-file.ts, kept in the shared database instead of DATA_DIR when several
 * instances share one (PostgreSQL): every instance must sign and check click ids with the same
 * keys and hash visitors with the same key, or the unique flag (P13) would differ by instance.
 * The first instance's insert wins; the others read what it wrote.
 */
export async function loadSharedClickSecrets(db: Kysely<Database>, signingKeys: string | undefined): Promise<ClickSecrets> {
  const made = JSON.stringify({
    clickKeys: [{ id: 1, secret: randomBytes(32).toString('base64url') }],
    visitorKey: randomBytes(32).toString('base64url'),
  });
  await db
    .insertInto('settings')
    .values({ key: SECRETS_KEY, value: made })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  const row = await db.selectFrom('settings').select('value').where('key', '=', SECRETS_KEY).executeTakeFirstOrThrow();
  const stored = JSON.parse(row.value) as { clickKeys: { id: number; secret: string }[]; visitorKey: string };
  const clickKeys = signingKeys ? parseSigningKeys(signingKeys) : stored.clickKeys;
  const keys = new Map<number, Uint8Array>();
  for (const key of clickKeys) keys.set(key.id, new TextEncoder().encode(key.secret));
  return { signingKeyId: clickKeys[0]!.id, keys, visitorKey: new TextEncoder().encode(stored.visitorKey) };
}
