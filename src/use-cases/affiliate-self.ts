import type { AppDeps } from '../core/deps';
import { AppError } from '../core/errors';
import { formatId } from '../domain/ids';
import { formatMoney } from '../domain/money';

export type PayoutMethod = 'paypal' | 'wise' | 'bank';
export type PayoutDetails = { email: string } | { iban: string; accountHolder: string };

/** How an affiliate is paid: PayPal or Wise by email, a bank account by IBAN. */
export async function setPayoutMethod(
  deps: Pick<AppDeps, 'db'>,
  affiliateId: number,
  payoutMethod: PayoutMethod,
  payoutDetails: PayoutDetails,
) {
  if ((payoutMethod === 'bank') !== 'iban' in payoutDetails) {
    throw new AppError(
      'validation_failed',
      payoutMethod === 'bank'
        ? 'payoutDetails: a bank payout needs iban and accountHolder'
        : 'payoutDetails: this method needs an email',
    );
  }
  await deps.db
    .updateTable('affiliates')
    .set({ payout_method: payoutMethod, payout_details: JSON.stringify(payoutDetails) })
    .where('id', '=', affiliateId)
    .execute();
  return { id: formatId('affiliate', affiliateId), payoutMethod, payoutDetails: payoutDetails as Record<string, string> };
}

/** An affiliate's own payout lines, newest run first. */
export async function listOwnPayouts(deps: Pick<AppDeps, 'db'>, affiliateId: number) {
  const rows = await deps.db
    .selectFrom('payout_lines as l')
    .innerJoin('payouts as p', 'p.id', 'l.payout_id')
    .select(['p.id', 'p.status', 'p.created_at', 'l.currency', 'l.amount_minor'])
    .where('l.affiliate_id', '=', affiliateId)
    .orderBy('p.id', 'desc')
    .execute();
  return rows.map((r) => ({
    id: formatId('payout', r.id),
    status: r.status,
    currency: r.currency,
    amount: formatMoney({ minor: r.amount_minor, currency: r.currency }),
    createdAt: r.created_at,
  }));
}
