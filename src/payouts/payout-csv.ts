import { stringify } from 'csv-stringify/sync';
import { neutralizeCell } from '../domain/csv-cell';
import type { Kysely } from 'kysely';
import { formatId } from '../domain/ids';
import { formatMoney } from '../domain/money';
import type { Database } from '../store/database';

/**
 * The payout CSV finance uploads or archives. Streamed a page of lines at a time (flat memory
 * whatever the run's size), in a fixed order, so the same run exports to the same bytes.
 */
export const PAYOUT_CSV_COLUMNS = [
  'payout_id',
  'affiliate_id',
  'affiliate_name',
  'email',
  'currency',
  'amount',
  'entries',
  'payout_method',
  'payout_account',
] as const;

const PAGE = 5000;

function account(method: string | null, details: string | null): string {
  if (!method || !details) return '';
  const d = JSON.parse(details) as Record<string, string>;
  return d.email ?? d.iban ?? d.accountNumber ?? '';
}

export const PAYOUT_FORMATS = ['csv', 'paypal', 'wise'] as const;
export type PayoutFormat = (typeof PAYOUT_FORMATS)[number];

/** Upload limits of the providers' bulk files. */
export const PROVIDER_ROW_LIMIT: Record<Exclude<PayoutFormat, 'csv'>, number> = { paypal: 5000, wise: 1000 };

const WISE_COLUMNS = [
  'name',
  'recipientEmail',
  'paymentReference',
  'receiverType',
  'amountCurrency',
  'amount',
  'sourceCurrency',
  'targetCurrency',
  'type',
];

interface LineRow {
  affiliate_id: number;
  currency: string;
  amount_minor: number;
  entries: number;
  name: string;
  email: string | null;
  payout_method: 'paypal' | 'wise' | 'bank' | null;
  payout_details: string | null;
}

/** One record of a format; providers' files hold only affiliates paid through that provider. */
function record(format: PayoutFormat, payoutId: number, r: LineRow): string[] | undefined {
  const amount = formatMoney({ minor: r.amount_minor, currency: r.currency });
  const reference = `${formatId('payout', payoutId)}-${formatId('affiliate', r.affiliate_id)}`;
  if (format === 'csv') {
    return [
      formatId('payout', payoutId),
      formatId('affiliate', r.affiliate_id),
      neutralizeCell(r.name),
      neutralizeCell(r.email ?? ''),
      r.currency,
      amount,
      String(r.entries),
      r.payout_method ?? '',
      neutralizeCell(account(r.payout_method, r.payout_details)),
    ];
  }
  if (r.payout_method !== format) return undefined;
  const email = neutralizeCell(account(r.payout_method, r.payout_details));
  // PayPal: recipient, amount, currency, customer id (≤ 30, no spaces), note, wallet; no header.
  if (format === 'paypal') return [email, amount, r.currency, reference.slice(0, 30), 'Affiliate commission', 'PAYPAL'];
  // Wise "send by email": the recipient gives their bank details to Wise.
  return [neutralizeCell(r.name), email, reference, 'PRIVATE', r.currency, amount, r.currency, r.currency, 'EMAIL'];
}

/** Which lines a provider file would hold, so an oversized or mixed-currency file is refused up front. */
export async function providerFileShape(db: Kysely<Database>, payoutId: number, format: Exclude<PayoutFormat, 'csv'>) {
  const rows = await db
    .selectFrom('payout_lines as l')
    .innerJoin('affiliates as a', 'a.id', 'l.affiliate_id')
    .select(['l.currency', (eb) => eb.fn.countAll<number>().as('n')])
    .where('l.payout_id', '=', payoutId)
    .where('a.payout_method', '=', format)
    .groupBy('l.currency')
    .execute();
  return rows.map((r) => ({ currency: r.currency, lines: Number(r.n) }));
}

export function payoutCsvStream(
  db: Kysely<Database>,
  payoutId: number,
  format: PayoutFormat = 'csv',
  currency?: string,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let after: { affiliateId: number; currency: string } | undefined;
  let headerSent = format === 'paypal';
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let query = db
        .selectFrom('payout_lines as l')
        .innerJoin('affiliates as a', 'a.id', 'l.affiliate_id')
        .select([
          'l.affiliate_id',
          'l.currency',
          'l.amount_minor',
          'l.entries',
          'a.name',
          'a.email',
          'a.payout_method',
          'a.payout_details',
        ])
        .where('l.payout_id', '=', payoutId)
        .orderBy('l.affiliate_id')
        .orderBy('l.currency')
        .limit(PAGE);
      if (currency) query = query.where('l.currency', '=', currency);
      if (after) {
        const { affiliateId, currency: lastCurrency } = after;
        // A row-value comparison walks the primary key from where the last page ended.
        query = query.where(({ eb, refTuple, tuple }) =>
          eb(refTuple('l.affiliate_id', 'l.currency'), '>', tuple(affiliateId, lastCurrency)),
        );
      }
      const rows = await query.execute();
      const records = rows.map((r) => record(format, payoutId, r)).filter((r): r is string[] => r !== undefined);
      const columns = format === 'csv' ? [...PAYOUT_CSV_COLUMNS] : WISE_COLUMNS;
      const text = stringify(records, {
        header: !headerSent,
        columns: format === 'paypal' ? undefined : columns,
        record_delimiter: '\r\n',
      });
      headerSent = true;
      if (text) controller.enqueue(encoder.encode(text));
      if (rows.length < PAGE) {
        controller.close();
        return;
      }
      const last = rows[rows.length - 1]!;
      after = { affiliateId: last.affiliate_id, currency: last.currency };
    },
  });
}
