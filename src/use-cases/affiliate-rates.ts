import type { AppDeps } from '../core/deps';
import { notFound } from '../core/errors';
import type { Principal } from '../core/principal';
import { percentToBasisPoints } from '../domain/rate';
import { findOwnProgram } from './programs';

/**
 * A custom rate for one affiliate of a merchant's own program, effective from now: it replaces
 * the plan's default and tiers for orders placed from then on; `null` ends it.
 */
export async function setAffiliateRate(
  deps: Pick<AppDeps, 'db' | 'clock'>,
  principal: Principal,
  programId: number | undefined,
  affiliateId: number | undefined,
  percent: string | null,
): Promise<{ effectiveFrom: string }> {
  const program = await findOwnProgram(deps, principal, programId);
  const member =
    affiliateId === undefined
      ? undefined
      : await deps.db
          .selectFrom('program_affiliates')
          .select('affiliate_id')
          .where('program_id', '=', program.id)
          .where('affiliate_id', '=', affiliateId)
          .executeTakeFirst();
  if (!member) throw notFound('affiliate');
  const effectiveFrom = deps.clock.now().toISOString();
  const rateBp = percent === null ? null : percentToBasisPoints(percent)!;
  await deps.db
    .insertInto('affiliate_rates')
    .values({ program_id: program.id, affiliate_id: member.affiliate_id, effective_from: effectiveFrom, rate_bp: rateBp })
    .onConflict((oc) => oc.columns(['program_id', 'affiliate_id', 'effective_from']).doUpdateSet({ rate_bp: rateBp }))
    .execute();
  return { effectiveFrom };
}
