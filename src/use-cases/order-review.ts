import type { AppDeps } from '../core/deps';
import { AppError, notFound } from '../core/errors';
import type { Principal } from '../core/principal';

export type ReviewDecision = 'release' | 'reject';

/**
 * A merchant's decision on one of its held orders, recorded for the next batch to apply. The same
 * decision twice is a no-op; the other one after it is a conflict.
 */
export async function reviewHeldOrder(
  deps: Pick<AppDeps, 'db' | 'clock'>,
  principal: Principal,
  externalId: string,
  decision: ReviewDecision,
): Promise<'released' | 'rejected'> {
  const order = await deps.db
    .selectFrom('orders')
    .select(['id', 'held', 'review'])
    .where('merchant_id', '=', principal.merchantId!)
    .where('external_id', '=', externalId)
    .executeTakeFirst();
  if (!order) throw notFound('order');
  if (order.held !== 1) throw new AppError('conflict', 'this order is not held');
  const review = decision === 'release' ? 'released' : 'rejected';
  if (order.review !== null && order.review !== review) throw new AppError('conflict', `this order was already ${order.review}`);
  await deps.db
    .updateTable('orders')
    .set({ review, updated_at: deps.clock.now().toISOString() })
    .where('id', '=', order.id)
    .execute();
  return review;
}
