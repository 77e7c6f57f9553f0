import { parse } from 'csv-parse/sync';
import type { Kysely } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { payoutCsvStream, type PayoutFormat } from '../../src/payouts/payout-csv';
import type { AtomicWrites } from '../../src/store/atomic-writes';
import type { Database } from '../../src/store/database';
import type { RowReader } from '../../src/store/row-reader';

/**
 * The payout CSV read a page at a time, on each store: at every page boundary (an empty run,
 * exactly a page, a page and one line, an affiliate whose two currencies straddle two pages)
 * each line comes out once, in order, and the file is byte for byte the one a single page gives.
 */
export interface PayoutCsvHarness {
  db: Kysely<Database>;
  writes: AtomicWrites;
  rows: RowReader;
}

const NOW = '2026-01-01T00:00:00.000Z';
const methods = ['paypal', 'wise', 'bank'] as const;

export function describePayoutCsvPages(name: string, open: () => Promise<PayoutCsvHarness>) {
  describe(`payout CSV pages on ${name}`, () => {
    let h: PayoutCsvHarness;
    let nextPayout = 100;
    let nextAffiliate = 10_000;
    const text = (payoutId: number, format: PayoutFormat, pageSize: number) =>
      new Response(payoutCsvStream(h, payoutId, format, undefined, pageSize)).text();

    /** A payout with one line per currency given, for new affiliates paid by rotating methods. */
    async function payoutWith(lines: readonly (readonly string[])[]): Promise<number> {
      const payoutId = ++nextPayout;
      const affiliates = lines.map(() => ++nextAffiliate);
      await h.writes.commit([
        h.db
          .insertInto('payouts')
          .values({ id: payoutId, as_of: NOW, minimum_amount: '0', currency: null, status: 'created', created_at: NOW })
          .compile(),
        ...h.writes.insertRows(
          'affiliates',
          affiliates.map((id, i) => ({
            id,
            name: `Affiliate ${id}`,
            email: `a${id}@example.com`,
            created_at: NOW,
            payout_method: methods[i % 3],
            payout_details: JSON.stringify(methods[i % 3] === 'bank' ? { iban: `DE${id}` } : { email: `pay${id}@example.com` }),
          })),
          { columns: ['id'] },
        ),
        ...h.writes.insertRows(
          'payout_lines',
          lines.flatMap((currencies, i) =>
            currencies.map((currency) => ({
              payout_id: payoutId,
              affiliate_id: affiliates[i],
              currency,
              amount_minor: 1000 + i,
              entries: 1 + (i % 4),
            })),
          ),
          { columns: ['payout_id', 'affiliate_id', 'currency'] },
        ),
      ]);
      return payoutId;
    }

    beforeAll(async () => {
      h = await open();
    });

    const PAGE = 3;
    it.each([0, 1, PAGE - 1, PAGE, PAGE + 1, 2 * PAGE, 2 * PAGE + 1])(
      'writes each of %i lines once, in order, as one page would',
      async (count) => {
        const payoutId = await payoutWith(Array.from({ length: count }, () => ['EUR']));
        const paged = await text(payoutId, 'csv', PAGE);
        expect(paged).toBe(await text(payoutId, 'csv', 10_000));
        const rows = parse(paged, { columns: true }) as Record<string, string>[];
        expect(rows.map((r) => r.affiliate_id)).toEqual(
          Array.from({ length: count }, (_, i) => `aff_${nextAffiliate - count + 1 + i}`),
        );
      },
    );

    it('carries an affiliate whose currencies straddle two pages over to the next page', async () => {
      // Lines in key order: (a1, EUR), (a2, EUR) | (a2, USD), (a3, EUR) with two lines a page.
      const payoutId = await payoutWith([['EUR'], ['EUR', 'USD'], ['EUR']]);
      const paged = await text(payoutId, 'csv', 2);
      expect(paged).toBe(await text(payoutId, 'csv', 10_000));
      const rows = parse(paged, { columns: true }) as Record<string, string>[];
      const a = nextAffiliate;
      expect(rows.map((r) => `${r.affiliate_id} ${r.currency}`)).toEqual([
        `aff_${a - 2} EUR`,
        `aff_${a - 1} EUR`,
        `aff_${a - 1} USD`,
        `aff_${a} EUR`,
      ]);
    });

    it('gives a provider file its header once when whole pages hold none of its affiliates', async () => {
      // Methods rotate paypal, wise, bank: with one line a page, most pages hold no Wise line.
      const payoutId = await payoutWith(Array.from({ length: 7 }, () => ['EUR']));
      for (const format of ['wise', 'paypal'] as const) {
        const paged = await text(payoutId, format, 1);
        expect(paged).toBe(await text(payoutId, format, 10_000));
      }
      const wise = parse(await text(payoutId, 'wise', 1), { columns: true }) as Record<string, string>[];
      expect(wise.map((r) => r.recipientEmail)).toEqual(
        [nextAffiliate - 5, nextAffiliate - 2].map((id) => `pay${id}@example.com`),
      );
    });

    it.each([0, 1])("writes the store's own page size of lines, and one more (+%i)", async (extra) => {
      const count = h.rows.pageRows + extra;
      const payoutId = await payoutWith(Array.from({ length: count }, () => ['EUR']));
      const paged = await new Response(payoutCsvStream(h, payoutId)).text();
      expect(paged).toBe(await text(payoutId, 'csv', 2 * count));
      expect(paged.split('\r\n')).toHaveLength(count + 2);
    });
  });
}
