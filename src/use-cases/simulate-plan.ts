import { EVALUATED_ORDER_COLUMNS, evaluateOrder, loadReference, type OrderEvaluation } from '../batch/order-commission';
import { timeSlice } from '../core/time-slice';
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

/** Orders read a page at a time: one read of a year's orders would hold the event loop by itself. */
const PAGE_ORDERS = 500;

/** The program's attributed orders placed in [from, before), in time order, a page at a time. */
async function* periodOrders(deps: Pick<AppDeps, 'db'>, programId: number, from: string, before: string) {
  let after: { placedAt: string; id: number } | undefined;
  for (;;) {
    const page = await deps.db
      .selectFrom('orders')
      .select(EVALUATED_ORDER_COLUMNS)
      .where('program_id', '=', programId)
      .where('affiliate_id', 'is not', null)
      .where('placed_at', '>=', after?.placedAt ?? from)
      .where('placed_at', '<', before)
      .$if(after !== undefined, (q) =>
        q.where(({ eb, refTuple, tuple }) => eb(refTuple('placed_at', 'id'), '>', tuple(after!.placedAt, after!.id))),
      )
      .orderBy('placed_at')
      .orderBy('id')
      .limit(PAGE_ORDERS)
      .execute();
    yield* page;
    if (page.length < PAGE_ORDERS) return;
    const last = page[page.length - 1]!;
    after = { placedAt: last.placed_at, id: last.id };
  }
}

/**
 * What-if: the period's attributed orders recomputed under a proposed plan, next to what they
 * earn under the plans in force, per affiliate. Reads only; writes nothing. Works in time
 * slices (`timeSlice`), so a year of orders does not hold the redirects' event loop.
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
  const perAffiliate = new Map<
    number,
    { orders: number; current: number; proposed: number; parentCurrent: number; parentProposed: number }
  >();
  // Each affiliate's month sales so far: orders come in time order, so each affiliate's orders
  // come in time order too, and tiers see the sales earlier in the month.
  const monthSales = new Map<string, number>();
  let counted = 0;
  let skipped = 0;
  const slice = timeSlice();
  // From the start of the first month: tiers count the sales earlier in the month.
  for await (const order of periodOrders(deps, program.id, `${input.from.slice(0, 7)}-01`, dayAfter(input.to))) {
    await slice.pause();
    const key = `${order.affiliate_id}:${order.placed_at.slice(0, 7)}`;
    const sales = monthSales.get(key) ?? 0;
    const current = evaluateOrder(ref, order, sales);
    const next = evaluateOrder(ref, order, sales, proposed);
    if (current.kind !== 'no_rate') monthSales.set(key, sales + current.keptMinor);
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
  const affiliates = [...perAffiliate]
    .sort(([x], [y]) => x - y)
    .map(([affiliateId, a]) => {
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
