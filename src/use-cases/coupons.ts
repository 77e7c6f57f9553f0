import { formatId } from '../domain/ids';
import type { AppDeps } from '../core/deps';
import type { Principal } from '../core/principal';
import { AppError, notFound } from '../core/errors';
import { findOwnProgram } from './programs';
import { normalizeCoupon } from './record-order-event';

type CouponDeps = Pick<AppDeps, 'db' | 'clock'>;

export async function createCoupon(
  deps: CouponDeps,
  principal: Principal,
  input: { programId: number | undefined; code: string; affiliateId: number | undefined },
) {
  const program = await findOwnProgram(deps, principal, input.programId);
  if (input.affiliateId === undefined) throw notFound('affiliate');
  const member = await deps.db
    .selectFrom('program_affiliates')
    .select('status')
    .where('program_id', '=', program.id)
    .where('affiliate_id', '=', input.affiliateId)
    .executeTakeFirst();
  if (!member) throw notFound('affiliate');
  const code = normalizeCoupon(input.code);
  const existing = await deps.db
    .selectFrom('coupons')
    .select('id')
    .where('program_id', '=', program.id)
    .where('code', '=', code)
    .executeTakeFirst();
  if (existing) throw new AppError('conflict', `coupon ${code} already exists in this program`);
  const row = await deps.db
    .insertInto('coupons')
    .values({ program_id: program.id, code, affiliate_id: input.affiliateId, created_at: deps.clock.now().toISOString() })
    .returningAll()
    .executeTakeFirstOrThrow();
  return couponView(row);
}

function couponView(row: { code: string; program_id: number; affiliate_id: number; created_at: string }) {
  return {
    code: row.code,
    programId: formatId('program', row.program_id),
    affiliateId: formatId('affiliate', row.affiliate_id),
    createdAt: row.created_at,
  };
}

export async function listCoupons(deps: Pick<AppDeps, 'db'>, principal: Principal) {
  let query = deps.db
    .selectFrom('coupons')
    .innerJoin('programs', 'programs.id', 'coupons.program_id')
    .selectAll('coupons')
    .orderBy('coupons.id');
  query =
    principal.role === 'merchant'
      ? query.where('programs.merchant_id', '=', principal.merchantId!)
      : query.where('coupons.affiliate_id', '=', principal.affiliateId!);
  return (await query.execute()).map(couponView);
}

/** An affiliate declares a customer id at a program's shop as their own (self-referral check). */
export async function declareCustomerRef(
  deps: CouponDeps,
  principal: Principal,
  input: { programId: number | undefined; customerId: string },
) {
  if (input.programId === undefined) throw notFound('program');
  const program = await deps.db
    .selectFrom('programs')
    .innerJoin('program_affiliates as pa', 'pa.program_id', 'programs.id')
    .select(['programs.merchant_id'])
    .where('programs.id', '=', input.programId)
    .where('pa.affiliate_id', '=', principal.affiliateId!)
    .executeTakeFirst();
  if (!program) throw notFound('program');
  await deps.db
    .insertInto('affiliate_customer_refs')
    .values({
      affiliate_id: principal.affiliateId!,
      merchant_id: program.merchant_id,
      customer_ref: input.customerId,
      created_at: deps.clock.now().toISOString(),
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
  return { programId: formatId('program', input.programId), customerId: input.customerId };
}
