import type { CompiledQuery, ExpressionBuilder, Selectable } from 'kysely';
import { LAST_AS_OF } from '../batch/commission-batch';
import { formatId } from '../domain/ids';
import { formatMoney, moneyParseMessages, parseMoney } from '../domain/money';
import type { AppDeps } from '../core/deps';
import { timeSlice } from '../core/time-slice';
import { AppError, notFound } from '../core/errors';
import { insertedId, nextId, returnedId } from '../store/atomic-writes';
import type { Database, PayoutLineTable, PayoutStatus } from '../store/database';

type PayoutDeps = Pick<AppDeps, 'db' | 'writes' | 'clock'>;

export interface PayoutSummary {
  id: string;
  status: PayoutStatus;
  asOf: string;
  /** The one minimum asked for, or null when the run was given `minimums`. */
  minimumAmount: string | null;
  currency: string | null;
  /** The minimum applied in each currency the run pays. */
  minimums: Record<string, string>;
  /** Currencies with approved, unpaid entries up to asOf that the run did not pay, and why. */
  skipped: SkippedCurrency[];
  affiliates: number;
  total: Record<string, string>;
  createdAt: string;
  settledAt: string | null;
}

export type SkipReason = 'no_minimum' | 'minimum_too_precise' | 'below_minimum';
export interface SkippedCurrency {
  currency: string;
  reason: SkipReason;
  message: string;
}

export interface PayoutRequest {
  asOf: string;
  minimumAmount?: string | undefined;
  currency?: string | undefined;
  minimums?: Record<string, string> | undefined;
}

const DECIMAL = /^(0|[1-9][0-9]*)(\.[0-9]+)?$/;

/**
 * What a run pays in each currency that has something to pay. `minimums` names each currency and
 * its minimum, read in that currency's precision; `minimumAmount` with `currency` pays that one;
 * `minimumAmount` alone applies in every currency whose precision can hold it ("10.00" is €10.00
 * but no yen amount), and the others are skipped, never paid against a number meant for another
 * currency.
 */
function minimumsFor(input: PayoutRequest, currencies: readonly string[]) {
  const applied = new Map<string, number>();
  const skipped: SkippedCurrency[] = [];
  const parse = (text: string, currency: string, field: string) => {
    if (!DECIMAL.test(text))
      throw new AppError('validation_failed', `${field}: must be a non-negative decimal string such as "50.00"`);
    const parsed = parseMoney(text, currency);
    if (!parsed.ok) throw new AppError('validation_failed', `${field} ${moneyParseMessages[parsed.error]} (${currency})`);
    return parsed.value.minor;
  };
  if (input.minimums !== undefined) {
    if (input.minimumAmount !== undefined || input.currency !== undefined) {
      throw new AppError(
        'validation_failed',
        'minimums: give either minimums or minimumAmount (with an optional currency), not both',
      );
    }
    if (Object.keys(input.minimums).length === 0) throw new AppError('validation_failed', 'minimums: name at least one currency');
    // Every minimum is checked, paid or not: a typo in one currency is an error, not a skip.
    const asked = new Map(Object.entries(input.minimums).map(([c, text]) => [c, parse(text, c, `minimums.${c}`)]));
    for (const currency of currencies) {
      const minimum = asked.get(currency);
      if (minimum !== undefined) applied.set(currency, minimum);
      else skipped.push({ currency, reason: 'no_minimum', message: `no minimum given for ${currency}; add it to minimums` });
    }
    return { applied, skipped };
  }
  if (input.minimumAmount === undefined) {
    throw new AppError('validation_failed', 'minimums: required (or minimumAmount, with an optional currency)');
  }
  if (input.currency !== undefined) {
    const minimum = parse(input.minimumAmount, input.currency, 'minimumAmount');
    for (const currency of currencies) {
      if (currency === input.currency) applied.set(currency, minimum);
      else skipped.push({ currency, reason: 'no_minimum', message: `this run pays ${input.currency} only` });
    }
    return { applied, skipped };
  }
  if (!DECIMAL.test(input.minimumAmount)) {
    throw new AppError('validation_failed', 'minimumAmount: must be a non-negative decimal string such as "50.00"');
  }
  for (const currency of currencies) {
    const parsed = parseMoney(input.minimumAmount, currency);
    if (parsed.ok) applied.set(currency, parsed.value.minor);
    else
      skipped.push({
        currency,
        reason: 'minimum_too_precise',
        message: `minimumAmount ${input.minimumAmount} ${moneyParseMessages[parsed.error]} (${currency}); give minimums per currency`,
      });
  }
  return { applied, skipped };
}

/**
 * A payout run: every approved, unpaid entry up to `asOf`, netted per affiliate and currency,
 * paid where the net reaches the currency's minimum. One unit of work (a transaction on SQLite,
 * a batch() on D1) whose statements pick the candidates themselves, as of when they run: an
 * entry a concurrent run took before ours is no candidate, and the database's unique index on
 * live payout entries refuses the whole unit if one were taken twice anyway. A run that would
 * pay nobody is refused (`nothing_to_pay`) and leaves nothing behind.
 */
export async function createPayout(deps: PayoutDeps, input: PayoutRequest) {
  if (Number.isNaN(Date.parse(input.asOf))) throw new AppError('validation_failed', 'asOf: not a date-time');
  const asOf = new Date(input.asOf).toISOString();
  // Shape errors first, before any read: minimums given for currencies nobody earned still count.
  minimumsFor(input, []);
  const lastBatch = await deps.db.selectFrom('settings').select('value').where('key', '=', LAST_AS_OF).executeTakeFirst();
  if (!lastBatch || asOf > lastBatch.value) {
    throw new AppError(
      'validation_failed',
      `asOf: must not be later than the last commission batch (${lastBatch?.value ?? 'none yet'})`,
    );
  }

  const now = deps.clock.now().toISOString();
  const payoutId = insertedId('payouts');
  // Approved entries up to asOf that no live payout holds: the run's candidates.
  const candidates = () =>
    deps.db
      .selectFrom('ledger_entries as e')
      .where('e.status', '=', 'approved')
      .where('e.status_changed_at', '<=', asOf)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('payout_entries as p')
              .select('p.entry_id')
              .whereRef('p.entry_id', '=', 'e.entry_id')
              .where('p.active', '=', 1),
          ),
        ),
      );
  // The currencies with candidates now (one appearing after this read waits for the next run).
  const currencies = (await candidates().select('e.currency').distinct().orderBy('e.currency').execute()).map((r) => r.currency);
  const { applied, skipped } = minimumsFor(input, currencies);
  if (applied.size === 0) throw nothingToPay(skipped);
  const statements: CompiledQuery[] = [
    deps.db
      .insertInto('payouts')
      .values({
        id: nextId('payouts'),
        as_of: asOf,
        // '' when the run was given minimums: the column predates them and is NOT NULL.
        minimum_amount: input.minimumAmount ?? '',
        currency: input.currency ?? null,
        minimums: JSON.stringify(
          Object.fromEntries([...applied].map(([currency, minor]) => [currency, formatMoney({ minor, currency })])),
        ),
        skipped: JSON.stringify(skipped),
        status: 'created',
        created_at: now,
        settled_at: null,
      })
      .returning('id')
      .compile(),
  ];
  // Netting happens in SQL, set-based: one line per
  // affiliate and currency whose net is positive and reaches the minimum in that currency.
  for (const [currency, minimum] of applied) {
    statements.push(
      deps.db
        .insertInto('payout_lines')
        .columns(['payout_id', 'affiliate_id', 'currency', 'amount_minor', 'entries'])
        .expression(
          candidates()
            .where('e.currency', '=', currency)
            .select((eb) => [
              payoutId.as('payout_id'),
              'e.affiliate_id',
              'e.currency',
              eb.fn.sum<number>('e.amount_minor').as('amount_minor'),
              eb.fn.countAll<number>().as('entries'),
            ])
            .groupBy(['e.affiliate_id', 'e.currency'])
            .having((eb) => eb.and([eb(eb.fn.sum('e.amount_minor'), '>', 0), eb(eb.fn.sum('e.amount_minor'), '>=', minimum)])),
        )
        .compile(),
    );
  }
  statements.push(
    deps.db
      .insertInto('payout_entries')
      .columns(['payout_id', 'entry_id', 'affiliate_id', 'currency'])
      .expression(
        candidates()
          .innerJoin('payout_lines as l', (join) =>
            join
              .onRef('l.affiliate_id', '=', 'e.affiliate_id')
              .onRef('l.currency', '=', 'e.currency')
              .on('l.payout_id', '=', payoutId),
          )
          .select([payoutId.as('payout_id'), 'e.entry_id', 'e.affiliate_id', 'e.currency'])
          // Both of payout_entries' B-trees are keyed by entry_id (within this payout): rows
          // that arrive in that order append to them instead of splitting pages all over
          // (300k entries: 1.5 s → 1.0 s on SQLite).
          .orderBy('e.entry_id'),
      )
      .compile(),
    // No affiliate reached a minimum (or a concurrent run took the entries first): the run
    // goes again, in the same unit, so an empty run is never seen.
    deps.db
      .deleteFrom('payouts')
      .where('id', '=', payoutId)
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('payout_lines').select('payout_id').where('payout_id', '=', payoutId))),
      )
      .compile(),
  );
  try {
    const results = await deps.writes.commit(statements);
    if (results.at(-1)!.changes > 0) {
      throw nothingToPay([...skipped, ...[...applied.keys()].map((currency) => belowMinimum(currency))]);
    }
    return summarize(deps, returnedId(results[0]));
  } catch (error) {
    if (String(error).includes('UNIQUE constraint failed: payout_entries.entry_id')) {
      throw new AppError('conflict', 'another payout run took some of these entries at the same time; run it again');
    }
    throw error;
  }
}

function belowMinimum(currency: string): SkippedCurrency {
  return { currency, reason: 'below_minimum', message: `no affiliate's net ${currency} balance reaches the minimum` };
}

function byCurrency(skipped: SkippedCurrency[]) {
  return skipped.sort((a, b) => (a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0));
}

function nothingToPay(skipped: SkippedCurrency[]) {
  byCurrency(skipped);
  return new AppError(
    'nothing_to_pay',
    skipped.length === 0
      ? 'no approved, unpaid commission up to asOf: the run would pay nobody'
      : `the run would pay nobody: ${skipped.map((s) => `${s.currency}: ${s.message}`).join('; ')}`,
  );
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

/** Payout lines and entries read per page by the run's detail (a few milliseconds of SQLite each). */
const ENTRY_PAGE = 2000;

export async function getPayout(
  deps: Pick<AppDeps, 'db'>,
  id: number | undefined,
): Promise<PayoutSummary & { lines: PayoutLineView[] }> {
  if (id === undefined) throw notFound('payout');
  const payout = await deps.db.selectFrom('payouts').selectAll().where('id', '=', id).executeTakeFirst();
  if (!payout) throw notFound('payout');
  const slice = timeSlice();
  // Lines a page at a time too (a run can pay 100k affiliates), walking the primary key.
  const lines: Selectable<PayoutLineTable>[] = [];
  for (;;) {
    const last = lines[lines.length - 1];
    const page = await deps.db
      .selectFrom('payout_lines')
      .selectAll()
      .where('payout_id', '=', id)
      .$if(last !== undefined, (q) =>
        q.where(({ eb, refTuple, tuple }) =>
          eb(refTuple('affiliate_id', 'currency'), '>', tuple(last!.affiliate_id, last!.currency)),
        ),
      )
      .orderBy('affiliate_id')
      .orderBy('currency')
      .limit(ENTRY_PAGE)
      .execute();
    lines.push(...page);
    if (page.length < ENTRY_PAGE) break;
    await slice.pause();
  }
  // Entries a page at a time, in time slices: a run of 300k entries is read and grouped without
  // holding the event loop that serves redirects. Appended in place: a copy per entry made this
  // view quadratic in one affiliate's entries (7 s at 15k).
  const byLine = new Map<string, string[]>();
  let after = '';
  for (;;) {
    const page = await deps.db
      .selectFrom('payout_entries')
      .select(['affiliate_id', 'currency', 'entry_id'])
      .where('payout_id', '=', id)
      .where('entry_id', '>', after)
      .orderBy('entry_id')
      .limit(ENTRY_PAGE)
      .execute();
    for (const e of page) {
      const key = `${e.affiliate_id}:${e.currency}`;
      const list = byLine.get(key);
      if (list) list.push(e.entry_id);
      else byLine.set(key, [e.entry_id]);
    }
    if (page.length < ENTRY_PAGE) break;
    after = page[page.length - 1]!.entry_id;
    await slice.pause();
  }
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
  payout: {
    id: number;
    status: PayoutStatus;
    as_of: string;
    minimum_amount: string;
    currency: string | null;
    minimums: string | null;
    skipped: string | null;
    created_at: string;
    settled_at: string | null;
  },
  affiliates: number,
  total: Record<string, number>,
): PayoutSummary {
  // Runs made before per-currency minimums applied their one minimum in each currency they paid.
  const minimums: Record<string, string> = payout.minimums
    ? (JSON.parse(payout.minimums) as Record<string, string>)
    : Object.fromEntries(Object.keys(total).map((currency) => [currency, payout.minimum_amount]));
  const skipped: SkippedCurrency[] = payout.skipped ? (JSON.parse(payout.skipped) as SkippedCurrency[]) : [];
  for (const currency of Object.keys(minimums)) if (!(currency in total)) skipped.push(belowMinimum(currency));
  return {
    id: formatId('payout', payout.id),
    status: payout.status,
    asOf: payout.as_of,
    minimumAmount: payout.minimum_amount === '' ? null : payout.minimum_amount,
    currency: payout.currency,
    minimums,
    skipped: byCurrency(skipped),
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
    .select([
      'payout_id',
      'currency',
      (eb) => eb.fn.sum<number>('amount_minor').as('minor'),
      (eb) => eb.fn.count<number>('affiliate_id').distinct().as('affiliates'),
    ])
    .groupBy(['payout_id', 'currency'])
    .execute();
  return payouts.map((p) => {
    const rows = totals.filter((t) => t.payout_id === p.id);
    return summaryOf(
      p,
      rows.reduce((n, r) => Math.max(n, Number(r.affiliates)), 0),
      Object.fromEntries(rows.map((r) => [r.currency, Number(r.minor)])),
    );
  });
}

/**
 * paid: the entries become paid. failed / cancelled: the entries return to the balance for the
 * next run; the record stays. Only a run not yet settled can change.
 */
export async function settlePayout(deps: PayoutDeps, id: number | undefined, outcome: 'paid' | 'failed' | 'cancelled') {
  if (id === undefined) throw notFound('payout');
  const payout = await deps.db.selectFrom('payouts').select(['status']).where('id', '=', id).executeTakeFirst();
  if (!payout) throw notFound('payout');
  if (payout.status !== 'created') throw new AppError('conflict', `this payout is already ${payout.status}`);
  const now = deps.clock.now().toISOString();
  // The entries move only if this unit of work settled the run: after a concurrent settlement
  // that committed first the run is no longer 'created', and ours changes nothing (one with
  // the same outcome in the same millisecond would only write the same values again).
  const settledHere = ({ exists, selectFrom }: ExpressionBuilder<Database, 'ledger_entries' | 'payout_entries'>) =>
    exists(
      selectFrom('payouts')
        .select('payouts.id')
        .where('payouts.id', '=', id)
        .where('payouts.status', '=', outcome)
        .where('payouts.settled_at', '=', now),
    );
  const [settled] = await deps.writes.commit([
    deps.db
      .updateTable('payouts')
      .set({ status: outcome, settled_at: now })
      .where('id', '=', id)
      .where('status', '=', 'created')
      .compile(),
    outcome === 'paid'
      ? deps.db
          .updateTable('ledger_entries')
          .set({ status: 'paid', status_changed_at: now })
          .where('entry_id', 'in', (eb) =>
            eb.selectFrom('payout_entries').select('entry_id').where('payout_id', '=', id).where('active', '=', 1),
          )
          .where(settledHere)
          .compile()
      : deps.db.updateTable('payout_entries').set({ active: 0 }).where('payout_id', '=', id).where(settledHere).compile(),
  ]);
  if (settled!.changes === 0) {
    const current = await deps.db.selectFrom('payouts').select(['status']).where('id', '=', id).executeTakeFirstOrThrow();
    throw new AppError('conflict', `this payout is already ${current.status}`);
  }
  return summarize(deps, id);
}
