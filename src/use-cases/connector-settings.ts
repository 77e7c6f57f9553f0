import { type CompiledQuery, sql } from 'kysely';
import type { ConnectorPlatform } from '../domain/connectors/connector-order';
import { formatId } from '../domain/ids';
import type { AppDeps } from '../core/deps';
import type { Principal } from '../core/principal';
import { findOwnProgram } from './programs';

type SettingsDeps = Pick<AppDeps, 'db' | 'writes' | 'clock'>;

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
  const nowText = now.toISOString();
  // Setting the secret already in force changes nothing: both statements stand down when it is.
  const inForce = deps.db
    .selectFrom('connector_secrets as s')
    .select('s.id')
    .where('s.program_id', '=', program.id)
    .where('s.platform', '=', platform)
    .where('s.secret', '=', input.secret)
    .where((eb) => eb.or([eb('s.expires_at', 'is', null), eb('s.expires_at', '>', nowText)]));
  const statements: CompiledQuery[] = [
    deps.db
      .updateTable('connector_secrets')
      .set({ expires_at: expiresAt })
      .where('program_id', '=', program.id)
      .where('platform', '=', platform)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', expiresAt)]))
      .where((eb) => eb.not(eb.exists(inForce)))
      .compile(),
    // The update above never brings a row with this secret into force, so the guard reads the
    // same here as it did there.
    deps.db
      .insertInto('connector_secrets')
      .columns(['program_id', 'platform', 'secret', 'created_at', 'expires_at'])
      .expression(
        deps.db
          .selectNoFrom((eb) => [
            eb.val(program.id).as('program_id'),
            eb.val(platform).as('platform'),
            eb.val(input.secret).as('secret'),
            eb.val(nowText).as('created_at'),
            sql<null>`null`.as('expires_at'),
          ])
          .where((eb) => eb.not(eb.exists(inForce))),
      )
      .compile(),
  ];
  if (platform === 'woocommerce' && input.restApi !== undefined) {
    statements.push(
      deps.db
        .deleteFrom('connector_rest_credentials')
        .where('program_id', '=', program.id)
        .where('platform', '=', 'woocommerce')
        .compile(),
    );
    if (input.restApi !== null) {
      statements.push(
        deps.db
          .insertInto('connector_rest_credentials')
          .values({
            program_id: program.id,
            platform: 'woocommerce',
            base_url: input.restApi.baseUrl.replace(/\/+$/, ''),
            consumer_key: input.restApi.consumerKey,
            consumer_secret: input.restApi.consumerSecret,
            updated_at: nowText,
          })
          .compile(),
      );
    }
  }
  await deps.writes.commit(statements);
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
