import { LAST_AS_OF } from '../batch/commission-batch';
import { formatId } from '../domain/ids';
import { formatMoney, moneyParseMessages, parseMoney } from '../domain/money';
import type { AppDeps } from '../app/deps';
import { AppError, notFound } from '../app/errors';
import type { PayoutStatus } from '../store/database';

type PayoutDeps = Pick<AppDeps, 'db' | 'clock'>;

export interface PayoutSummary {
  id: string;
  status: PayoutStatus;
  asOf: string;
  minimumAmount: string;
  currency: string | null;
  affiliates: number;
  total: Record<string, string>;
  createdAt: string;
  settledAt: string | null;
}

/**
 * A payout run: every approved, unpaid entry up to `asOf`, netted per affiliate and currency,
 * paid where the net reaches the minimum. One transaction; the database's unique index on live
 * payout entries makes two concurrent runs unable to take the same entry.
 */
export async function createPayout(deps: PayoutDeps, input: { asOf: string; minimumAmount: string; currency?: string | undefined }) {
  if (!/^(0|[1-9][0-9]*)(\.[0-9]+)?$/.test(input.minimumAmount)) {
    throw new AppError('validation_failed', 'minimumAmount: must be a non-negative decimal string such as "50.00"');
  }
  if (Number.isNaN(Date.parse(input.asOf))) throw new AppError('validation_failed', 'asOf: not a date-time');
  const asOf = new Date(input.asOf).toISOString();
  const lastBatch = await deps.db.selectFrom('settings').select('value').where('key', '=', LAST_AS_OF).executeTakeFirst();
  if (!lastBatch || asOf > lastBatch.value) {
    throw new AppError('validation_failed', `asOf: must not be later than the last commission batch (${lastBatch?.value ?? 'none yet'})`);
  }
  const minimums = new Map<string, number>();
  const minimumMinor = (currency: string) => {
    let m = minimums.get(currency);
    if (m === undefined) {
      const parsed = parseMoney(input.minimumAmount, currency);
      if (!parsed.ok) throw new AppError('validation_failed', `minimumAmount ${moneyParseMessages[parsed.error]} (${currency})`);
      minimums.set(currency, (m = parsed.value.minor));
    }
    return m;
  };
  if (input.currency) minimumMinor(input.currency);

  const now = deps.clock.now().toISOString();
  try {
    const id = await deps.db.transaction().execute(async (trx) => {
      // Approved entries up to asOf that no live payout holds: the run's candidates.
      const candidates = () =>
        trx
          .selectFrom('ledger_entries as e')
          .where('e.status', '=', 'approved')
          .where('e.status_changed_at', '<=', asOf)
          .where(({ not, exists, selectFrom }) =>
            not(exists(selectFrom('payout_entries as p').select('p.entry_id').whereRef('p.entry_id', '=', 'e.entry_id').where('p.active', '=', 1))),
          )
          .$if(input.currency !== undefined, (q) => q.where('e.currency', '=', input.currency!));
      const payout = await trx
        .insertInto('payouts')
        .values({ as_of: asOf, minimum_amount: input.minimumAmount, currency: input.currency ?? null, status: 'created', created_at: now, settled_at: null })
        .returning('id')
        .executeTakeFirstOrThrow();
      // Currencies with approved entries (a cheap superset: one with nothing payable adds no line).
      const currencies = await trx
        .selectFrom('ledger_entries')
        .select('currency')
        .distinct()
        .where('status', '=', 'approved')
        .$if(input.currency !== undefined, (q) => q.where('currency', '=', input.currency!))
        .execute();
      // Netting happens in SQL, set-based: one line per
      // affiliate and currency whose net is positive and reaches the minimum in that currency.
      for (const { currency } of currencies) {
        const minimum = minimumMinor(currency);
        await trx
          .insertInto('payout_lines')
          .columns(['payout_id', 'affiliate_id', 'currency', 'amount_minor', 'entries'])
          .expression(
            candidates()
              .where('e.currency', '=', currency)
              .select((eb) => [
                eb.val(payout.id).as('payout_id'),
                'e.affiliate_id',
                'e.currency',
                eb.fn.sum<number>('e.amount_minor').as('amount_minor'),
                eb.fn.countAll<number>().as('entries'),
              ])
              .groupBy(['e.affiliate_id', 'e.currency'])
              .having((eb) => eb.and([eb(eb.fn.sum('e.amount_minor'), '>', 0), eb(eb.fn.sum('e.amount_minor'), '>=', minimum)])),
          )
          .execute();
      }
      await trx
        .insertInto('payout_entries')
        .columns(['payout_id', 'entry_id', 'affiliate_id', 'currency'])
        .expression(
          candidates()
            .innerJoin('payout_lines as l', (join) =>
              join.onRef('l.affiliate_id', '=', 'e.affiliate_id').onRef('l.currency', '=', 'e.currency').on('l.payout_id', '=', payout.id),
            )
            .select((eb) => [eb.val(payout.id).as('payout_id'), 'e.entry_id', 'e.affiliate_id', 'e.currency']),
        )
        .execute();
      return payout.id;
    });
    return summarize(deps, id);
  } catch (error) {
    if (String(error).includes('UNIQUE constraint failed: payout_entries.entry_id')) {
      throw new AppError('conflict', 'another payout run took some of these entries at the same time; run it again');
    }
    throw error;
  }
}

/** A run's headline: status, affiliates, totals per currency. */
export async function summarize(deps: Pick<AppDeps, 'db'>, id: number): Promise<PayoutSummary> {
  const payout = await deps.db.selectFrom('payouts').selectAll().where('id', '=', id).executeTakeFirst();
  if (!payout) throw notFound('payout');
  const totals = await deps.db
    .selectFrom('payout_lines')
    .select(['currency', (eb) => eb.fn.sum<number>('amount_minor').as('minor'), (eb) => eb.fn.countAll<number>().as('lines')])
    .where('payout_id', '=', id)
    .groupBy('currency')
    .execute();
  const affiliates = await deps.db
    .selectFrom('payout_lines')
    .select((eb) => eb.fn.count<number>('affiliate_id').distinct().as('n'))
    .where('payout_id', '=', id)
    .executeTakeFirstOrThrow();
  return summaryOf(payout, Number(affiliates.n), Object.fromEntries(totals.map((t) => [t.currency, Number(t.minor)])));
}

export interface PayoutLineView {
  affiliateId: string;
  currency: string;
  amount: string;
  entries: string[];
}

export async function getPayout(deps: Pick<AppDeps, 'db'>, id: number | undefined): Promise<PayoutSummary & { lines: PayoutLineView[] }> {
  if (id === undefined) throw notFound('payout');
  const payout = await deps.db.selectFrom('payouts').selectAll().where('id', '=', id).executeTakeFirst();
  if (!payout) throw notFound('payout');
  const lines = await deps.db.selectFrom('payout_lines').selectAll().where('payout_id', '=', id).orderBy('affiliate_id').orderBy('currency').execute();
  const entries = await deps.db
    .selectFrom('payout_entries')
    .select(['affiliate_id', 'currency', 'entry_id'])
    .where('payout_id', '=', id)
    .orderBy('entry_id')
    .execute();
  const byLine = new Map<string, string[]>();
  for (const e of entries) byLine.set(`${e.affiliate_id}:${e.currency}`, [...(byLine.get(`${e.affiliate_id}:${e.currency}`) ?? []), e.entry_id]);
  const total: Record<string, number> = {};
  for (const l of lines) total[l.currency] = (total[l.currency] ?? 0) + l.amount_minor;
  return {
    ...summaryOf(payout, new Set(lines.map((l) => l.affiliate_id)).size, total),
    lines: lines.map((l) => ({
      affiliateId: formatId('affiliate', l.affiliate_id),
      currency: l.currency,
      amount: formatMoney({ minor: l.amount_minor, currency: l.currency }),
      entries: byLine.get(`${l.affiliate_id}:${l.currency}`) ?? [],
    })),
  };
}

function summaryOf(
  payout: { id: number; status: PayoutStatus; as_of: string; minimum_amount: string; currency: string | null; created_at: string; settled_at: string | null },
  affiliates: number,
  total: Record<string, number>,
): PayoutSummary {
  return {
    id: formatId('payout', payout.id),
    status: payout.status,
    asOf: payout.as_of,
    minimumAmount: payout.minimum_amount,
    currency: payout.currency,
    affiliates,
    total: Object.fromEntries(Object.entries(total).map(([currency, minor]) => [currency, formatMoney({ minor, currency })])),
    createdAt: payout.created_at,
    settledAt: payout.settled_at,
  };
}

export async function listPayouts(deps: Pick<AppDeps, 'db'>) {
  const payouts = await deps.db.selectFrom('payouts').selectAll().orderBy('id', 'desc').limit(200).execute();
  const totals = await deps.db
    .selectFrom('payout_lines')
    .select(['payout_id', 'currency', (eb) => eb.fn.sum<number>('amount_minor').as('minor'), (eb) => eb.fn.count<number>('affiliate_id').distinct().as('affiliates')])
    .groupBy(['payout_id', 'currency'])
    .execute();
  return payouts.map((p) => {
    const rows = totals.filter((t) => t.payout_id === p.id);
    return summaryOf(p, rows.reduce((n, r) => Math.max(n, Number(r.affiliates)), 0), Object.fromEntries(rows.map((r) => [r.currency, Number(r.minor)])));
  });
}

/**
 * paid: the entries become paid. failed / cancelled: the entries return to the balance for the
 * next run; the record stays. Only a run not yet settled can change.
 */
export async function settlePayout(deps: PayoutDeps, id: number | undefined, outcome: 'paid' | 'failed' | 'cancelled') {
  if (id === undefined) throw notFound('payout');
  const now = deps.clock.now().toISOString();
  await deps.db.transaction().execute(async (trx) => {
    const payout = await trx.selectFrom('payouts').select(['status']).where('id', '=', id).executeTakeFirst();
    if (!payout) throw notFound('payout');
    if (payout.status !== 'created') throw new AppError('conflict', `this payout is already ${payout.status}`);
    await trx.updateTable('payouts').set({ status: outcome, settled_at: now }).where('id', '=', id).execute();
    if (outcome === 'paid') {
      await trx
        .updateTable('ledger_entries')
        .set({ status: 'paid', status_changed_at: now })
        .where('entry_id', 'in', (eb) => eb.selectFrom('payout_entries').select('entry_id').where('payout_id', '=', id).where('active', '=', 1))
        .execute();
    } else {
      await trx.updateTable('payout_entries').set({ active: 0 }).where('payout_id', '=', id).execute();
    }
  });
  return summarize(deps, id);
}

