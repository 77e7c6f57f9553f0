import type { Kysely } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AtomicWrites, insertedId, nextId, returnedId } from '../../src/store/atomic-writes';
import type { Database } from '../../src/store/database';

/**
 * The AtomicWrites contract every multi-row write relies on, on each store (SQLite: a Kysely
 * transaction; D1: one batch()): RETURNING rows come back, a row made with nextId is found by
 * insertedId in later statements of the same unit, nothing commits if one statement fails, and
 * change counts are exact where a guard reads them.
 */
export interface AtomicWritesHarness {
  db: Kysely<Database>;
  writes: AtomicWrites;
}

const NOW = '2026-01-01T00:00:00.000Z';

export function describeAtomicWrites(name: string, open: () => Promise<AtomicWritesHarness>) {
  describe(`AtomicWrites on ${name}`, () => {
    let h: AtomicWritesHarness;
    const merchants = async () => (await h.db.selectFrom('merchants').select('id').orderBy('id').execute()).map((m) => m.id);
    beforeAll(async () => {
      h = await open();
    });

    it('gives back RETURNING rows, and later statements find the new row by insertedId', async () => {
      const before = await merchants();
      const [merchant, secret, key] = await h.writes.commit([
        h.db
          .insertInto('merchants')
          .values({ id: nextId('merchants'), name: 'Unit Shop', created_at: NOW })
          .returning('id')
          .compile(),
        h.db
          .insertInto('webhook_secrets')
          .values({ merchant_id: insertedId('merchants'), secret: 'whsec_unit', created_at: NOW })
          .compile(),
        h.db
          .insertInto('api_keys')
          .values({
            key_hash: 'unit-hash-1',
            key_prefix: 'cl_mer_unit',
            role: 'merchant',
            merchant_id: insertedId('merchants'),
            created_at: NOW,
          })
          .returning(['id', 'merchant_id'])
          .compile(),
      ]);
      const id = returnedId(merchant);
      expect(id).toBe(Math.max(0, ...before) + 1);
      expect(secret).toEqual({ changes: 1, rows: [] });
      expect(key!.rows).toEqual([{ id: expect.any(Number), merchant_id: id }]);
      expect(key!.changes).toBe(1);
      expect(await h.db.selectFrom('webhook_secrets').select('merchant_id').where('secret', '=', 'whsec_unit').execute()).toEqual(
        [{ merchant_id: id }],
      );
    });

    it('commits nothing when one statement fails', async () => {
      const before = await merchants();
      await expect(
        h.writes.commit([
          h.db
            .insertInto('merchants')
            .values({ id: nextId('merchants'), name: 'Half Shop', created_at: NOW })
            .compile(),
          // The same key hash again: the unique index refuses it, and with it the merchant above.
          h.db
            .insertInto('api_keys')
            .values({
              key_hash: 'unit-hash-1',
              key_prefix: 'cl_mer_unit',
              role: 'merchant',
              merchant_id: insertedId('merchants'),
              created_at: NOW,
            })
            .compile(),
        ]),
      ).rejects.toThrow(/UNIQUE constraint failed: api_keys.key_hash/);
      expect(await merchants()).toEqual(before);
    });

    it('counts the rows a statement changed: 0 when its guard in SQL held it back', async () => {
      const [id] = await merchants();
      const [renamed, missed, none] = await h.writes.commit([
        h.db.updateTable('merchants').set({ name: 'Renamed' }).where('id', '=', id!).where('name', '!=', 'Renamed').compile(),
        h.db.updateTable('merchants').set({ name: 'Again' }).where('id', '=', id!).where('name', '!=', 'Renamed').compile(),
        h.db.updateTable('merchants').set({ name: 'Nobody' }).where('id', '=', -1).returning('id').compile(),
      ]);
      expect([renamed!.changes, missed!.changes, none!.changes]).toEqual([1, 0, 0]);
      expect(none!.rows).toEqual([]);
    });
  });
}
