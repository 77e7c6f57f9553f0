import { AppError, notFound } from '../core/errors';
import { formatId } from '../domain/ids';
import { postbackTemplateProblem } from '../domain/outbound-events';
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
