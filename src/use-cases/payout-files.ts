import type { AppDeps } from '../core/deps';
import { AppError, notFound } from '../core/errors';
import { formatId } from '../domain/ids';
import { type PayoutFormat, payoutCsvStream, PROVIDER_ROW_LIMIT, providerFileShape } from '../payouts/payout-csv';

/**
 * A payout run's file: the full CSV, or a provider's upload (PayPal, Wise), refused up front when
 * the provider would refuse it (more than one currency for PayPal, more lines than it takes).
 */
export async function payoutFile(
  deps: Pick<AppDeps, 'db' | 'rows'>,
  payoutId: number | undefined,
  format: PayoutFormat,
  currency: string | undefined,
): Promise<{ name: string; body: ReadableStream<Uint8Array> }> {
  const exists =
    payoutId === undefined
      ? undefined
      : await deps.db.selectFrom('payouts').select('id').where('id', '=', payoutId).executeTakeFirst();
  if (!exists) throw notFound('payout');
  if (format !== 'csv') {
    const shape = (await providerFileShape(deps.db, exists.id, format)).filter((s) => !currency || s.currency === currency);
    if (format === 'paypal' && shape.length > 1) {
      throw new AppError(
        'validation_failed',
        `a PayPal file holds one currency; add currency= one of ${shape.map((s) => s.currency).join(', ')}`,
      );
    }
    const lines = shape.reduce((n, s) => n + s.lines, 0);
    if (lines === 0) {
      throw new AppError(
        'nothing_to_pay',
        `no affiliate in this run${currency ? ` paid in ${currency}` : ''} is paid by ${format}: the file would be empty`,
      );
    }
    if (lines > PROVIDER_ROW_LIMIT[format]) {
      throw new AppError(
        'validation_failed',
        `${lines} lines are more than a ${format} file takes (${PROVIDER_ROW_LIMIT[format]})`,
      );
    }
  }
  const name = `payout-${formatId('payout', exists.id)}${format === 'csv' ? '' : `-${format}`}${currency ? `-${currency}` : ''}.csv`;
  return { name, body: payoutCsvStream(deps, exists.id, format, currency) };
}
