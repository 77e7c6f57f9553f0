import type { ConnectorPlatform } from '../../domain/connectors/connector-order';
import { formatId } from '../../domain/ids';
import type { AppDeps } from '../deps';
import type { Principal } from '../env';
import { findOwnProgram } from './programs';

type SettingsDeps = Pick<AppDeps, 'db' | 'clock'>;

export const MAX_CONNECTOR_GRACE_SECONDS = 7 * 24 * 3600;

export interface RestCredentials {
  baseUrl: string;
  consumerKey: string;
  consumerSecret: string;
}

export interface ConnectorSettingsInput {
  secret: string;
  graceSeconds: number;
  /** WooCommerce only: undefined keeps what is stored, null removes it. */
  restApi?: RestCredentials | null | undefined;
}

/**
 * Sets the secret a platform signs this program's webhooks with. The secrets before it keep
 * verifying for `graceSeconds`, so the merchant can change it in the shop without losing events.
 */
export async function setConnectorSettings(
  deps: SettingsDeps,
  principal: Principal,
  programId: number | undefined,
  platform: ConnectorPlatform,
  input: ConnectorSettingsInput,
) {
  const program = await findOwnProgram(deps, principal, programId);
  const now = deps.clock.now();
  const expiresAt = new Date(now.getTime() + input.graceSeconds * 1000).toISOString();
  await deps.db.transaction().execute(async (trx) => {
    const current = await trx
      .selectFrom('connector_secrets')
      .select('id')
      .where('program_id', '=', program.id)
      .where('platform', '=', platform)
      .where('secret', '=', input.secret)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now.toISOString())]))
      .executeTakeFirst();
    if (!current) {
      await trx
        .updateTable('connector_secrets')
        .set({ expires_at: expiresAt })
        .where('program_id', '=', program.id)
        .where('platform', '=', platform)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', expiresAt)]))
        .execute();
      await trx
        .insertInto('connector_secrets')
        .values({ program_id: program.id, platform, secret: input.secret, created_at: now.toISOString(), expires_at: null })
        .execute();
    }
    if (platform === 'woocommerce' && input.restApi !== undefined) {
      await trx
        .deleteFrom('connector_rest_credentials')
        .where('program_id', '=', program.id)
        .where('platform', '=', 'woocommerce')
        .execute();
      if (input.restApi !== null) {
        await trx
          .insertInto('connector_rest_credentials')
          .values({
            program_id: program.id,
            platform: 'woocommerce',
            base_url: input.restApi.baseUrl.replace(/\/+$/, ''),
            consumer_key: input.restApi.consumerKey,
            consumer_secret: input.restApi.consumerSecret,
            updated_at: now.toISOString(),
          })
          .execute();
      }
    }
  });
  const rest = await deps.db
    .selectFrom('connector_rest_credentials')
    .select('base_url')
    .where('program_id', '=', program.id)
    .where('platform', '=', 'woocommerce')
    .executeTakeFirst();
  return {
    platform,
    webhookPath: `/v1/connectors/${platform}/${formatId('program', program.id)}`,
    previousSecretsExpireAt: expiresAt,
    ...(platform === 'woocommerce' ? { restApi: rest ? { baseUrl: rest.base_url } : null } : {}),
  };
}

/** The secrets that verify this program's deliveries from `platform` at `now`. */
export async function activeConnectorSecrets(
  deps: Pick<AppDeps, 'db'>,
  programId: number,
  platform: ConnectorPlatform,
  now: Date,
) {
  const rows = await deps.db
    .selectFrom('connector_secrets')
    .select('secret')
    .where('program_id', '=', programId)
    .where('platform', '=', platform)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now.toISOString())]))
    .execute();
  return rows.map((r) => r.secret);
}

export async function restCredentials(deps: Pick<AppDeps, 'db'>, programId: number): Promise<RestCredentials | undefined> {
  const row = await deps.db
    .selectFrom('connector_rest_credentials')
    .selectAll()
    .where('program_id', '=', programId)
    .where('platform', '=', 'woocommerce')
    .executeTakeFirst();
  return row ? { baseUrl: row.base_url, consumerKey: row.consumer_key, consumerSecret: row.consumer_secret } : undefined;
}
