import { encodeBase64Url } from '../domain/base64url';
import { signupKnownMail, signupVerifyMail } from '../domain/mail-templates';
import type { AppDeps } from '../core/deps';
import { AppError } from '../core/errors';
import { queueMail } from '../mail/mail-outbox';
import { insertedId } from '../store/atomic-writes';
import { newAffiliate } from './accounts';

type SignupDeps = Pick<AppDeps, 'db' | 'writes' | 'crypto' | 'clock' | 'config'>;

/** How long an emailed sign-up link works. */
export const SIGNUP_LINK_HOURS = 24;
/** Where the emailed link leads: a page that asks for one click before anything is created. */
export const SIGNUP_VERIFY_PAGE = '/app/signup/verify';
const SIGNUP_SETTING = 'public_signup';

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Public sign-up is on unless the admin turned it off (a settings row; docs/affiliates.md). */
export async function signupEnabled(deps: Pick<AppDeps, 'db'>): Promise<boolean> {
  const row = await deps.db.selectFrom('settings').select('value').where('key', '=', SIGNUP_SETTING).executeTakeFirst();
  return row?.value !== 'off';
}

export async function setSignupEnabled(deps: Pick<AppDeps, 'db'>, enabled: boolean): Promise<{ enabled: boolean }> {
  const value = enabled ? 'on' : 'off';
  await deps.db
    .insertInto('settings')
    .values({ key: SIGNUP_SETTING, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute();
  return { enabled };
}

async function refuseWhenOff(deps: Pick<AppDeps, 'db'>) {
  if (!(await signupEnabled(deps))) throw new AppError('forbidden', 'public sign-up is turned off on this service');
}

/**
 * A sign-up request. Whatever the address, the caller learns nothing more than "a message may
 * be on its way": a new address gets a single-use link (only its hash is stored), an address
 * that already has an account gets a note saying so. Either message is queued in the same unit
 * of work as the request and sent after it commits.
 */
export async function requestSignup(deps: SignupDeps, input: { name: string; email: string }): Promise<void> {
  await refuseWhenOff(deps);
  const email = normalizeEmail(input.email);
  const now = deps.clock.now();
  const known = await deps.db
    .selectFrom('affiliates')
    .select('name')
    .where((eb) => eb(eb.fn('lower', ['email']), '=', email))
    .executeTakeFirst();
  if (known) {
    await deps.writes.commit([
      queueMail(deps, { template: 'signup_known', to: email, content: signupKnownMail({ name: known.name }) }),
    ]);
    return;
  }
  const token = encodeBase64Url(deps.crypto.randomBytes(32));
  const expiresAt = new Date(now.getTime() + SIGNUP_LINK_HOURS * 3600_000).toISOString();
  const link = `${deps.config.publicUrl}${SIGNUP_VERIFY_PAGE}?token=${encodeURIComponent(token)}`;
  await deps.writes.commit([
    deps.db
      .insertInto('signup_requests')
      .values({
        token_hash: deps.crypto.sha256Hex(token),
        name: input.name,
        email,
        created_at: now.toISOString(),
        expires_at: expiresAt,
      })
      .compile(),
    queueMail(deps, { template: 'signup_verify', to: email, content: signupVerifyMail({ name: input.name, link, expiresAt }) }),
  ]);
}

const USED = 'signup link already used';
const TAKEN = 'signup address already has an account';

/**
 * Confirms an address: creates the affiliate and its API key (shown once, in the answer) in the
 * unit of work that marks the request used. An unknown, expired or used token creates nothing.
 */
export async function verifySignup(deps: SignupDeps, token: string) {
  await refuseWhenOff(deps);
  const now = deps.clock.now().toISOString();
  const request = await deps.db
    .selectFrom('signup_requests')
    .selectAll()
    .where('token_hash', '=', deps.crypto.sha256Hex(token))
    .executeTakeFirst();
  if (!request) throw new AppError('not_found', 'this sign-up link is unknown; sign up again');
  if (request.used_at !== null) throw new AppError('conflict', 'this sign-up link was already used; sign in with your API key');
  if (request.expires_at <= now) throw new AppError('conflict', 'this sign-up link has expired; sign up again');
  const made = newAffiliate(deps, { name: request.name, email: request.email });
  try {
    const results = await deps.writes.commit([
      ...made.statements,
      deps.db
        .updateTable('signup_requests')
        .set({ used_at: now, affiliate_id: insertedId('affiliates') })
        .where('id', '=', request.id)
        .compile(),
    ]);
    return made.created(results);
  } catch (error) {
    const message = String(error instanceof Error ? error.message : error);
    if (message.includes(USED)) throw new AppError('conflict', 'this sign-up link was already used; sign in with your API key');
    if (message.includes(TAKEN)) throw new AppError('conflict', 'this address already has an account; sign in with your API key');
    throw error;
  }
}
