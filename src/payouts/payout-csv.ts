import { stringify } from 'csv-stringify/sync';
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

const PAGE = 1000;

/**
 * A text cell a spreadsheet would run as a formula (= + - @, or tab / CR / LF first) gets a
 * leading apostrophe; NUL is removed everywhere (P19). Amounts are not text cells: they stay
 * numbers.
 */
export function neutralizeCell(text: string): string {
  const clean = text.replace(/\u0000/g, '');
  return /^[=+\-@\t\r\n]/.test(clean) ? `'${clean}` : clean;
}

function account(method: string | null, details: string | null): string {
  if (!method || !details) return '';
  const d = JSON.parse(details) as Record<string, string>;
  return d.email ?? d.iban ?? d.accountNumber ?? '';
}

export function payoutCsvStream(db: Kysely<Database>, payoutId: number): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let after: { affiliateId: number; currency: string } | undefined;
  let headerSent = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let query = db
        .selectFrom('payout_lines as l')
        .innerJoin('affiliates as a', 'a.id', 'l.affiliate_id')
        .select(['l.affiliate_id', 'l.currency', 'l.amount_minor', 'l.entries', 'a.name', 'a.email', 'a.payout_method', 'a.payout_details'])
        .where('l.payout_id', '=', payoutId)
        .orderBy('l.affiliate_id')
        .orderBy('l.currency')
        .limit(PAGE);
      if (after) {
        const { affiliateId, currency } = after;
        query = query.where((eb) =>
          eb.or([eb('l.affiliate_id', '>', affiliateId), eb.and([eb('l.affiliate_id', '=', affiliateId), eb('l.currency', '>', currency)])]),
        );
      }
      const rows = await query.execute();
      const records = rows.map((r) => [
        formatId('payout', payoutId),
        formatId('affiliate', r.affiliate_id),
        neutralizeCell(r.name),
        neutralizeCell(r.email ?? ''),
        r.currency,
        formatMoney({ minor: r.amount_minor, currency: r.currency }),
        String(r.entries),
        r.payout_method ?? '',
        neutralizeCell(account(r.payout_method, r.payout_details)),
      ]);
      const text = stringify(records, { header: !headerSent, columns: [...PAYOUT_CSV_COLUMNS], record_delimiter: '\r\n' });
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
