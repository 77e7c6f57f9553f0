import type { AppDeps } from '../core/deps';
import { AppError } from '../core/errors';

export interface FxRateInput {
  base: string;
  quote: string;
  rate: string;
  source: string;
  effectiveAt?: string | undefined;
}

export interface FxRateView {
  base: string;
  quote: string;
  rate: string;
  source: string;
  effectiveAt: string;
}

/**
 * Adds an exchange rate. Rates are only ever added: an order converts at the rate in force when
 * it was placed and keeps it (P18), so a second rate for the same pair and moment is a conflict.
 */
export async function addFxRate(deps: Pick<AppDeps, 'db' | 'clock'>, input: FxRateInput): Promise<FxRateView> {
  const now = deps.clock.now().toISOString();
  const effectiveAt = input.effectiveAt ? new Date(input.effectiveAt).toISOString() : now;
  const inserted = await deps.db
    .insertInto('fx_rates')
    .values({
      base: input.base,
      quote: input.quote,
      effective_at: effectiveAt,
      rate: input.rate,
      source: input.source,
      created_at: now,
    })
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) {
    throw new AppError('conflict', `a ${input.base}/${input.quote} rate effective at ${effectiveAt} exists already`);
  }
  return { base: input.base, quote: input.quote, rate: input.rate, source: input.source, effectiveAt };
}

/** Every stored rate, oldest first. */
export async function listFxRates(deps: Pick<AppDeps, 'db'>): Promise<FxRateView[]> {
  const rows = await deps.db
    .selectFrom('fx_rates')
    .selectAll()
    .orderBy('effective_at')
    .orderBy('base')
    .orderBy('quote')
    .execute();
  return rows.map((r) => ({ base: r.base, quote: r.quote, rate: r.rate, source: r.source, effectiveAt: r.effective_at }));
}
