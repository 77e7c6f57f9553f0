import { sql } from 'kysely';
import type { AppDeps } from '../core/deps';
import { formatMoney } from '../domain/money';

export interface Balance {
  currency: string;
  estimated: string;
  held: string;
  settled: string;
  inPayout: string;
  paid: string;
}

/**
 * An affiliate's commission per currency and stage: pending (estimated), held, approved and not
 * in a payout (settled), approved in a run not yet paid (inPayout), and paid.
 */
export async function affiliateBalances(deps: Pick<AppDeps, 'db'>, affiliateId: number): Promise<Balance[]> {
  const inPayout = sql<string>`case when e.status = 'approved' and exists (select 1 from payout_entries p where p.entry_id = e.entry_id and p.active = 1) then 'inPayout' else e.status end`;
  const rows = await deps.db
    .selectFrom('ledger_entries as e')
    .select(['e.currency', inPayout.as('bucket'), (eb) => eb.fn.sum<number>('e.amount_minor').as('total')])
    .where('e.affiliate_id', '=', affiliateId)
    .groupBy(['e.currency', inPayout])
    .orderBy('e.currency')
    .execute();
  const byCurrency = new Map<string, Record<string, number>>();
  for (const r of rows) byCurrency.set(r.currency, { ...byCurrency.get(r.currency), [r.bucket]: Number(r.total) });
  return [...byCurrency].map(([currency, sums]) => {
    const m = (minor = 0) => formatMoney({ minor, currency });
    return {
      currency,
      estimated: m(sums.pending),
      held: m(sums.held),
      settled: m(sums.approved),
      inPayout: m(sums.inPayout),
      paid: m(sums.paid),
    };
  });
}
