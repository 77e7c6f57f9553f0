import type { Kysely } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AtomicWrites } from '../../src/store/atomic-writes';
import type { Database } from '../../src/store/database';
import { readTuples, type RowReader } from '../../src/store/row-reader';

/**
 * The RowReader contract the payout CSV relies on, on each store: a Kysely select comes back as
 * one array per row, values in the order selected, nulls and numbers as they are; and reading
 * a query as arrays leaves the same query as objects for Kysely (on SQLite both share one
 * cached statement).
 */
export interface RowReaderHarness {
  db: Kysely<Database>;
  writes: AtomicWrites;
  rows: RowReader;
}

export function describeRowReader(name: string, open: () => Promise<RowReaderHarness>) {
  describe(`RowReader on ${name}`, () => {
    let h: RowReaderHarness;
    const query = (ids: number[]) =>
      readTuples(h.rows, ['a.email', 'a.id', 'a.name'], (columns) =>
        h.db.selectFrom('affiliates as a').select(columns).where('a.id', 'in', ids).orderBy('a.id'),
      );
    beforeAll(async () => {
      h = await open();
      await h.writes.commit(
        h.writes.insertRows(
          'affiliates',
          [
            { id: 9001, name: 'Ann', email: null, created_at: '2026-01-01T00:00:00.000Z' },
            { id: 9002, name: '=Bob', email: 'bob@example.com', created_at: '2026-01-01T00:00:00.000Z' },
          ],
          { columns: ['id'] },
        ),
      );
    });

    it('reads each row as an array in the order selected', async () => {
      expect(await query([9001, 9002])).toEqual([
        [null, 9001, 'Ann'],
        ['bob@example.com', 9002, '=Bob'],
      ]);
      expect(await query([9999])).toEqual([]);
    });

    it('leaves the same query as objects for Kysely', async () => {
      await query([9001]);
      const objects = await h.db
        .selectFrom('affiliates as a')
        .select(['a.email', 'a.id', 'a.name'])
        .where('a.id', 'in', [9001])
        .orderBy('a.id')
        .execute();
      expect(objects).toEqual([{ email: null, id: 9001, name: 'Ann' }]);
    });
  });
}
