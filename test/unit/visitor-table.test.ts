import { describe, expect, it } from 'vitest';
import { VisitorTable } from '../../src/store/visitor-table';

/** A seeded generator, so that a failure replays. */
function prng(seed: number) {
  return () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

/** 24 hex digits, as track-click makes a visitor hash; few enough values that pairs repeat. */
function visitor(n: number): string {
  return (n * 2654435761).toString(16).padStart(24, '0').slice(-24);
}

describe('the off-heap visitor table', () => {
  // At its limit (rebuilds that drop dead entries) and growing from its first 4,096 entries.
  it.each([
    { maxEntries: 3000, live: 2000, visitors: 2500 },
    { maxEntries: 15_000, live: 12_000, visitors: 14_000 },
  ])('answers as a Map and a queue would, through growth, rebuilds, deletes and the ring wrapping: %o', (limits) => {
    const random = prng(11);
    const table = new VisitorTable(limits.maxEntries);
    const model = new Map<string, number>();
    /** Every entry set, in order: [key, time]. */
    const queue: [string, number][] = [];
    let at = 0;
    for (let step = 0; step < 40_000; step++) {
      const linkId = 1 + Math.floor(random() * 4);
      const who = visitor(Math.floor(random() * limits.visitors));
      const key = `${linkId} ${who}`;
      const r = random();
      if (r < 0.55 && model.size < limits.live) {
        at += 1;
        table.set(linkId, who, at);
        model.set(key, at);
        queue.push([key, at]);
      } else if (r < 0.65) {
        table.delete(linkId, who);
        model.delete(key);
      } else if (r < 0.85 && table.oldestTime() !== undefined) {
        // A rebuild may have dropped dead entries the model's queue still has: skip those.
        const live = table.shift();
        const key = `${table.lastLinkId} ${table.lastVisitor()}`;
        if (!live) expect(model.get(key)).not.toBe(table.lastTime);
        else {
          while (model.get(queue[0]![0]) !== queue[0]![1]) queue.shift();
          const [oldKey, oldAt] = queue.shift()!;
          expect([key, table.lastTime]).toEqual([oldKey, oldAt]);
          model.delete(oldKey);
        }
      } else {
        expect(table.get(linkId, who)).toBe(model.get(key));
      }
      expect(table.size).toBe(model.size);
    }
    for (const [key, time] of model) {
      const [link, who] = key.split(' ');
      expect(table.get(Number(link), who!)).toBe(time);
    }
  });

  it('keeps a visitor that is not 24 hex digits as a digest, the same each time', () => {
    const table = new VisitorTable(5000);
    table.set(1, 'v-a', 10);
    expect(table.get(1, 'v-a')).toBe(10);
    expect(table.get(1, 'v-b')).toBeUndefined();
    expect(table.get(2, 'v-a')).toBeUndefined();
    const stored = table.canonical('v-a');
    expect(stored).toMatch(/^[0-9a-f]{24}$/);
    expect(table.get(1, stored)).toBe(10);
    expect(table.canonical('0123456789abcdef01234567')).toBe('0123456789abcdef01234567');
  });

  it('holds a pair in well under 64 bytes', () => {
    const table = new VisitorTable(300_000);
    for (let i = 0; i < 200_000; i++) table.set(1, visitor(i), i);
    expect(table.size).toBe(200_000);
    expect(table.bytes / table.size).toBeLessThan(64);
  });
});
