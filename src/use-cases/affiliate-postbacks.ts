import type { AppDeps } from '../core/deps';
import { AppError, notFound } from '../core/errors';
import { formatId } from '../domain/ids';
import { eventId, POSTBACK_TEST_EVENT, type PostbackTestSnapshot, postbackTemplateProblem } from '../domain/outbound-events';
import { type Deps, deliveryLog } from './webhook-endpoints';

/**
 * An affiliate's S2S postbacks (docs/webhooks.md): a default URL template for all its programs,
 * one per program that overrides it, and the log of what was sent. An affiliate only ever sees
 * and receives its own.
 */

function checkTemplate(deps: Deps, url: string) {
  const problem = postbackTemplateProblem(url, deps.config.webhookAllowPrivate ?? false);
  if (problem) throw new AppError('validation_failed', problem);
}

/** The default template, fired on the affiliate's commissions in every program without its own. */
export async function setAffiliatePostback(deps: Deps, affiliateId: number, url: string) {
  checkTemplate(deps, url);
  const now = deps.clock.now().toISOString();
  await deps.db
    .insertInto('affiliate_postbacks')
    .values({ affiliate_id: affiliateId, url, created_at: now, updated_at: now })
    .onConflict((oc) => oc.column('affiliate_id').doUpdateSet({ url, updated_at: now }))
    .execute();
  return { url, updatedAt: now };
}

export async function getAffiliatePostbacks(deps: Pick<Deps, 'db'>, affiliateId: number) {
  const fallback = await deps.db
    .selectFrom('affiliate_postbacks')
    .select(['url', 'updated_at'])
    .where('affiliate_id', '=', affiliateId)
    .executeTakeFirst();
  const programs = await deps.db
    .selectFrom('affiliate_program_postbacks')
    .select(['program_id', 'url', 'updated_at'])
    .where('affiliate_id', '=', affiliateId)
    .orderBy('program_id')
    .execute();
  return {
    default: fallback ? { url: fallback.url, updatedAt: fallback.updated_at } : null,
    programs: programs.map((p) => ({ programId: formatId('program', p.program_id), url: p.url, updatedAt: p.updated_at })),
  };
}

/** A program's own template, for a program the affiliate has joined. */
export async function setProgramPostback(deps: Deps, affiliateId: number, programId: number | undefined, url: string) {
  const program = await joinedProgram(deps, affiliateId, programId);
  checkTemplate(deps, url);
  const now = deps.clock.now().toISOString();
  await deps.db
    .insertInto('affiliate_program_postbacks')
    .values({ affiliate_id: affiliateId, program_id: program, url, created_at: now, updated_at: now })
    .onConflict((oc) => oc.columns(['affiliate_id', 'program_id']).doUpdateSet({ url, updated_at: now }))
    .execute();
  return { programId: formatId('program', program), url, updatedAt: now };
}

/** The program falls back to the default template (or to none). */
export async function deleteProgramPostback(deps: Deps, affiliateId: number, programId: number | undefined) {
  const removed =
    programId === undefined
      ? undefined
      : await deps.db
          .deleteFrom('affiliate_program_postbacks')
          .where('affiliate_id', '=', affiliateId)
          .where('program_id', '=', programId)
          .executeTakeFirst();
  if (!removed || Number(removed.numDeletedRows) === 0) throw notFound('program postback');
}

async function joinedProgram(deps: Pick<Deps, 'db'>, affiliateId: number, programId: number | undefined) {
  const row =
    programId === undefined
      ? undefined
      : await deps.db
          .selectFrom('program_affiliates')
          .select('program_id')
          .where('affiliate_id', '=', affiliateId)
          .where('program_id', '=', programId)
          .executeTakeFirst();
  if (!row) throw notFound('program');
  return row.program_id;
}

/** The affiliate's own postback deliveries, newest first, each with its attempts. */
export async function listPostbackDeliveries(deps: Pick<Deps, 'db'>, affiliateId: number) {
  return { deliveries: await deliveryLog(deps, { affiliateId }) };
}

/**
 * A `postback.test` for one program the affiliate joined, to the URL that program's commissions
 * would use: an outbox row and its one delivery in one unit of work, sent by the dispatcher like
 * any postback (macros: order TEST, status test, amounts 0) and shown in the log.
 */
export async function sendTestPostback(deps: Deps & Pick<AppDeps, 'writes'>, affiliateId: number, programId: number | undefined) {
  const program = await joinedProgram(deps, affiliateId, programId);
  const url =
    (await deps.db
      .selectFrom('affiliate_program_postbacks')
      .select('url')
      .where('affiliate_id', '=', affiliateId)
      .where('program_id', '=', program)
      .executeTakeFirst()) ??
    (await deps.db.selectFrom('affiliate_postbacks').select('url').where('affiliate_id', '=', affiliateId).executeTakeFirst());
  if (!url) throw new AppError('validation_failed', 'set a postback URL first (PUT /v1/affiliates/me/postback)');
  const { currency } = await deps.db
    .selectFrom('programs')
    .select('currency')
    .where('id', '=', program)
    .executeTakeFirstOrThrow();
  const snapshot: PostbackTestSnapshot = { program_id: program, currency };
  const now = deps.clock.now().toISOString();
  const [, delivery] = await deps.writes.commit([
    deps.db
      .insertInto('outbound_events')
      .values({
        type: POSTBACK_TEST_EVENT,
        merchant_id: null,
        affiliate_id: affiliateId,
        resource_id: program,
        snapshot: JSON.stringify(snapshot),
        created_at: now,
      })
      .compile(),
    deps.db
      .insertInto('webhook_deliveries')
      .values((eb) => ({
        event_seq: eb.selectFrom('outbound_events').select((e) => e.fn.max('seq').as('seq')),
        endpoint_id: null,
        postback_affiliate_id: affiliateId,
        status: 'pending',
        next_attempt_at: now,
        created_at: now,
        updated_at: now,
      }))
      .returning(['id', 'event_seq'])
      .compile(),
  ]);
  const made = delivery!.rows[0] as { id: number; event_seq: number };
  return {
    id: formatId('webhookDelivery', made.id),
    eventId: eventId(made.event_seq),
    status: 'pending' as const,
    nextAttemptAt: now,
  };
}
