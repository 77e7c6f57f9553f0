import { loadReference, evaluateOrder, type OrderEvaluation } from '../batch/order-commission';
import { compilePlan, type PlanSpec } from '../domain/commission-plan';
import { dayAfter, startOfDay } from '../domain/calendar';
import { formatId } from '../domain/ids';
import { formatMoney } from '../domain/money';
import type { AppDeps } from '../core/deps';
import type { Principal } from '../core/principal';
import { AppError } from '../core/errors';
import type { Plan } from '../domain/commission-plan';
import { checkPlanAmounts, findOwnProgram } from './programs';

const MAX_DAYS = 366;

function sums(evaluation: OrderEvaluation) {
  if (evaluation.kind !== 'earned') return { affiliate: 0, parent: 0 };
  let affiliate = 0;
  let parent = 0;
  for (const c of evaluation.components) {
    if (c.beneficiary === 'parent') parent += c.amountMinor;
    else affiliate += c.amountMinor;
  }
  return { affiliate, parent };
}

/**
 * What-if: the period's attributed orders recomputed under a proposed plan, next to what they
 * earn under the plans in force, per affiliate. Reads only; writes nothing.
 */
export async function simulatePlan(
  deps: Pick<AppDeps, 'db'>,
  principal: Principal,
  programId: number | undefined,
  input: { plan: Plan; from: string; to: string },
) {
  const program = await findOwnProgram(deps, principal, programId);
  if (input.to < input.from) throw new AppError('validation_failed', 'to: must not be before from');
  if ((Date.parse(input.to) - Date.parse(input.from)) / 86_400_000 > MAX_DAYS) {
    throw new AppError('validation_failed', `the period may be at most ${MAX_DAYS} days`);
  }
  checkPlanAmounts(input.plan, program.currency);
  const proposed = compilePlan(input.plan as PlanSpec, program.currency);
  const ref = await loadReference(deps.db);
  // From the start of the first month: tiers count the sales earlier in the month.
  const orders = await deps.db
    .selectFrom('orders')
    .selectAll()
    .where('program_id', '=', program.id)
    .where('affiliate_id', 'is not', null)
    .where('placed_at', '>=', `${input.from.slice(0, 7)}-01`)
    .where('placed_at', '<', dayAfter(input.to))
    .orderBy('affiliate_id')
    .orderBy('placed_at')
    .orderBy('id')
    .execute();
  const perAffiliate = new Map<
    number,
    { orders: number; current: number; proposed: number; parentCurrent: number; parentProposed: number }
  >();
  let sales = 0;
  let group = '';
  let counted = 0;
  let skipped = 0;
  for (const order of orders) {
    const key = `${order.affiliate_id}:${order.placed_at.slice(0, 7)}`;
    if (key !== group) {
      group = key;
      sales = 0;
    }
    const current = evaluateOrder(ref, order, sales);
    const next = evaluateOrder(ref, order, sales, proposed);
    if (current.kind !== 'no_rate') sales += current.keptMinor;
    if (order.placed_at < startOfDay(input.from)) continue;
    if (current.kind === 'no_rate') {
      skipped++;
      continue;
    }
    counted++;
    const a = perAffiliate.get(order.affiliate_id!) ?? {
      orders: 0,
      current: 0,
      proposed: 0,
      parentCurrent: 0,
      parentProposed: 0,
    };
    const c = sums(current);
    const p = sums(next);
    a.orders++;
    a.current += c.affiliate;
    a.proposed += p.affiliate;
    a.parentCurrent += c.parent;
    a.parentProposed += p.parent;
    perAffiliate.set(order.affiliate_id!, a);
  }
  const money = (minor: number) => formatMoney({ minor, currency: program.currency });
  const totals = { current: 0, proposed: 0, recruiterCurrent: 0, recruiterProposed: 0 };
  const affiliates = [...perAffiliate].map(([affiliateId, a]) => {
    totals.current += a.current;
    totals.proposed += a.proposed;
    totals.recruiterCurrent += a.parentCurrent;
    totals.recruiterProposed += a.parentProposed;
    return {
      affiliateId: formatId('affiliate', affiliateId),
      orders: a.orders,
      current: money(a.current),
      proposed: money(a.proposed),
      difference: money(a.proposed - a.current),
    };
  });
  return {
    programId: formatId('program', program.id),
    currency: program.currency,
    from: input.from,
    to: input.to,
    orders: counted,
    skippedOtherCurrency: skipped,
    affiliates,
    totals: {
      current: money(totals.current),
      proposed: money(totals.proposed),
      difference: money(totals.proposed - totals.current),
      recruiterCurrent: money(totals.recruiterCurrent),
      recruiterProposed: money(totals.recruiterProposed),
    },
  };
}
