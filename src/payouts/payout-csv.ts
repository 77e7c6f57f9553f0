import { stringify } from 'csv-stringify/sync';
import type { Kysely, Selectable } from 'kysely';
import type { AppDeps } from '../core/deps';
import { timeSlice } from '../core/time-slice';
import { neutralizeCell } from '../domain/csv-cell';
import { formatId } from '../domain/ids';
import { formatMoney } from '../domain/money';
import type { AffiliateTable, Database, PayoutLineTable } from '../store/database';
import { readTuples, type RowTuple } from '../store/row-reader';

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

/** What each line of the file reads, in this order (a page comes back as arrays of these). */
const LINE_COLUMNS = [
  'l.affiliate_id',
  'l.currency',
  'l.amount_minor',
  'l.entries',
  'a.name',
  'a.email',
  'a.payout_method',
  'a.payout_details',
] as const;

/** A page's row, typed from the tables by the columns above (`RowTuple`), so it follows the schema. */
type LineRow = RowTuple<Selectable<PayoutLineTable> & Selectable<AffiliateTable>, typeof LINE_COLUMNS>;

/** One record of a format; providers' files hold only affiliates paid through that provider. */
function record(format: PayoutFormat, payout: string, row: LineRow): string[] | undefined {
  const [affiliateId, currency, amountMinor, entries, name, email, method, details] = row;
  const amount = formatMoney({ minor: amountMinor, currency });
  const affiliate = formatId('affiliate', affiliateId);
  if (format === 'csv') {
    return [
      payout,
      affiliate,
      neutralizeCell(name),
      neutralizeCell(email ?? ''),
      currency,
      amount,
      String(entries),
      method ?? '',
      neutralizeCell(account(method, details)),
    ];
  }
  if (method !== format) return undefined;
  const reference = `${payout}-${affiliate}`;
  const recipient = neutralizeCell(account(method, details));
  // PayPal: recipient, amount, currency, customer id (≤ 30, no spaces), note, wallet; no header.
  if (format === 'paypal') return [recipient, amount, currency, reference.slice(0, 30), 'Affiliate commission', 'PAYPAL'];
  // Wise "send by email": the recipient gives their bank details to Wise.
  return [neutralizeCell(name), recipient, reference, 'PRIVATE', currency, amount, currency, currency, 'EMAIL'];
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

/**
 * The file, a page of lines at a time, each page read after the last line of the one before
 * (keyset paging on the primary key), so every page costs the same however deep the file is.
 */
export function payoutCsvStream(
  deps: Pick<AppDeps, 'db' | 'rows'>,
  payoutId: number,
  format: PayoutFormat = 'csv',
  currency?: string,
  pageSize = deps.rows.pageRows,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const payout = formatId('payout', payoutId);
  const columns = format === 'paypal' ? undefined : format === 'csv' ? [...PAYOUT_CSV_COLUMNS] : WISE_COLUMNS;
  let after: { affiliateId: number; currency: string } | undefined;
  let headerSent = format === 'paypal';
  const nextPage = (): Promise<LineRow[]> =>
    readTuples(deps.rows, LINE_COLUMNS, (selection) => {
      let query = deps.db
        .selectFrom('payout_lines as l')
        .innerJoin('affiliates as a', 'a.id', 'l.affiliate_id')
        .select(selection)
        .where('l.payout_id', '=', payoutId)
        .orderBy('l.affiliate_id')
        .orderBy('l.currency')
        .limit(pageSize);
      if (currency) query = query.where('l.currency', '=', currency);
      if (after) {
        const { affiliateId, currency: lastCurrency } = after;
        // A row-value comparison walks the primary key from where the last page ended.
        query = query.where(({ eb, refTuple, tuple }) =>
          eb(refTuple('l.affiliate_id', 'l.currency'), '>', tuple(affiliateId, lastCurrency)),
        );
      }
      return query;
    });
  // A fast reader pulls the next page at once, in the same turn of the event loop: without a
  // pause, a file of 100k lines would be written in one stretch that holds every redirect.
  const slice = timeSlice();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      // A pull that enqueues nothing is not called again: a page holding none of a provider's
      // affiliates (nothing to write once the header is out) must not end the pull.
      for (;;) {
        await slice.pause();
        const rows = await nextPage();
        const records = rows.map((r) => record(format, payout, r)).filter((r): r is string[] => r !== undefined);
        const text = stringify(records, { header: !headerSent, columns, record_delimiter: '\r\n' });
        headerSent = true;
        if (text) controller.enqueue(encoder.encode(text));
        if (rows.length < pageSize) {
          controller.close();
          return;
        }
        const [affiliateId, lastCurrency] = rows[rows.length - 1]!;
        after = { affiliateId, currency: lastCurrency };
        if (text) return;
      }
    },
  });
}
