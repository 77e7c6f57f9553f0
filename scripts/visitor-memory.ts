// Memory per visitor of the unique flag's state (src/store/recent-visitors.ts), at 1M and 2M
// distinct visitors by default: each count in its own fresh process, the pairs decided as the
// recorder decides them (one link, a new 24-hex visitor hash each, a millisecond apart, nothing
// spilled), heap, off-heap and RSS read before and after, after a full GC.
//
//   npm run bench:visitor-memory [-- --visitors N] [-- --limit N] [-- --map]
//
// `--limit` is UNIQUE_VISITORS_IN_MEMORY (default its default): the ring grows 1.5× at a time
// towards it, so a count just past a growth step shows the most bytes per visitor.
// `--map` measures the structure this replaced (a Map from "link visitor" strings to times and a
// queue of keys and times in two arrays) in the same way, for a side-by-side figure.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { DEFAULT_MAX_REMEMBERED, RecentVisitors, type UniqueClickStore } from '../src/store/recent-visitors';

const { values } = parseArgs({
  options: {
    visitors: { type: 'string' },
    limit: { type: 'string' },
    map: { type: 'boolean', default: false },
    child: { type: 'boolean', default: false },
  },
});

const gc = (globalThis as { gc?: () => void }).gc;

function sample() {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, offHeap: m.arrayBuffers, external: m.external, rss: m.rss };
}

function measure(count: number, limit: number, useMap: boolean): void {
  // Visitor hashes made before the first sample, kept in one buffer: only the state is measured.
  const bytes = randomBytes(12 * count);
  const hashes = (i: number) => bytes.toString('hex', 12 * i, 12 * i + 12);
  const store: UniqueClickStore = {
    storedBetween: () => false,
    spilledSince: () => false,
    spill: () => {
      throw new Error('spilled: raise the limit');
    },
    clearSpilled: () => {},
  };
  const t0 = Date.parse('2026-12-07T10:00:00Z');
  const before = sample();
  let keep: unknown;
  if (useMap) {
    const newest = new Map<string, number>();
    const orderKeys: string[] = [];
    const orderTimes: number[] = [];
    for (let i = 0; i < count; i++) {
      const key = `1 ${hashes(i)}`;
      newest.set(key, t0 + i);
      orderKeys.push(key);
      orderTimes.push(t0 + i);
    }
    keep = [newest, orderKeys, orderTimes];
  } else {
    const recent = new RecentVisitors(store, -Infinity, limit);
    const undo: never[] = [];
    for (let i = 0; i < count; i++) {
      // Within an hour of the first: nothing is forgotten.
      recent.decide(1, hashes(i), t0 + Math.floor((i * 3_000_000) / count), false, undo);
      undo.length = 0;
    }
    keep = recent;
  }
  const after = sample();
  const per = (a: number, b: number) => ((a - b) / count).toFixed(1);
  console.log(
    `${useMap ? 'Map (before)' : `typed arrays, limit ${limit.toLocaleString('en')}`}, ${count.toLocaleString('en')} visitors: ` +
      `heap +${per(after.heap, before.heap)} B, off-heap +${per(after.offHeap, before.offHeap)} B, ` +
      `RSS +${per(after.rss, before.rss)} B per visitor; RSS ${(after.rss / 2 ** 20).toFixed(0)} MiB`,
  );
  if (keep === undefined) throw new Error('unreachable');
}

const limit = Number(values.limit ?? DEFAULT_MAX_REMEMBERED);
if (values.child) measure(Number(values.visitors), limit, values.map);
else {
  const counts = values.visitors ? [Number(values.visitors)] : [1_000_000, 2_000_000];
  for (const count of counts) {
    const args = [
      ...process.execArgv,
      '--expose-gc',
      process.argv[1]!,
      '--child',
      '--visitors',
      String(count),
      '--limit',
      String(limit),
    ];
    if (values.map) args.push('--map');
    const run = spawnSync(process.execPath, args, { stdio: 'inherit' });
    if (run.status !== 0) process.exit(run.status ?? 1);
  }
}
