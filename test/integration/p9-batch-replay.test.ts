/**
 * Proves P9 (see docs/promises.md and issue 4, "The batch"): re-running the
 * commission batch, also after it was killed half-way, never double-counts. The ledger and the
 * report totals equal one clean run.
 *
 * Setup: a seeded history (test/support/p9-scenario.ts) of P9_ORDERS attributed orders (default
 * 2,000) from five affiliates (two recruited by a third) in two programs over three months. The
 * plans have percent and flat rules, new-customer bonuses, two tiers, a per-order cap,
 * parentPercent and non-cash exclusion. There is also a plan change (a new version) and a custom
 * rate mid-way. Orders have random lines and random event histories: paid, completed, partial and
 * full refunds, cancellations. About 8% are placed seconds after the click and held by
 * `minClickToOrderSeconds`, and some of those are later released or rejected by the merchant.
 * Everything goes through the real HTTP API (tracking-link clicks, signed order webhooks,
 * release/reject, PATCH plan, PUT rate) with the test clock moved to each action's time. Two
 * apps are seeded in lockstep with exactly the same requests. B only receives the history. A
 * also runs the batch every simulated week while the history happens. C is a byte copy of B
 * (`better-sqlite3` backup), taken before any batch ran on B.
 *
 *  (a) B: three runs at the same asOf. Run 1 is the clean run. After runs 2 and 3, every ledger
 *      column except the autoincrement id is identical, entry for entry. Runs 2 and 3 append
 *      nothing and change no status.
 *  (b) C: the batch is killed five times, then run to completion. The result must equal B's
 *      clean run entry for entry, including the watermark. The batch writes in chunks of up to
 *      5,000 orders: one transaction per chunk, then the watermark. At the default size there is
 *      ONE chunk, so the only states a crash can leave are "chunk rolled back" and "chunk
 *      committed, watermark not saved". A partly written ledger (some chunks committed) needs
 *      P9_ORDERS > 5,000. `P9_ORDERS=12000` gives 3 chunks and partial states (17,211 and 32,434
 *      of 40,559 entries after kills 2 and 4). It passed, but takes about four minutes on a
 *      shared 2-CPU machine, so it is not the default. The kills are real failures in the
 *      batch's own writes, not mocks:
 *        - a TEMP trigger on the batch's connection aborts the k-th new ledger row. This is a
 *          failure inside the chunk's transaction, which is rolled back, as after a SIGKILL
 *          (SQLite drops the WAL frames of an uncommitted transaction);
 *        - the onProgress callback throws after a chunk has committed (a crash between chunks,
 *          or between the last chunk and the watermark);
 *        - a TEMP trigger makes the watermark write fail (a crash at the last step).
 *      Each attempt must reject and must leave no watermark saved.
 *  (c) A's incremental history: weekly runs while events arrive and lock periods end, then a
 *      run at the final asOf. Five of the weekly runs are also killed first (each kind above,
 *      plus a failing status UPDATE) and re-run. Each re-run must equal, entry for entry, a
 *      clean run of the same step on a copy of A taken just before it. At the end, A must match
 *      B's single clean run: the same sum and statuses for every (order, slot, beneficiary),
 *      ignoring slots that net to zero, and the same balances from GET /v1/earnings for every
 *      affiliate. Entry ids, kinds and counts may legitimately differ. An incremental history
 *      records an accrual and later adjustments or reversals where the clean run writes one
 *      final accrual (or nothing for a cancelled order), so entry-for-entry equality is not
 *      expected there.
 *
 * How it fails: if the batch appended the full amount again instead of the difference from the
 * entries already there, or under ids that change from run to run, runs 2–3 and the re-runs after
 * a kill would append again: (a) and (b) see extra rows and (c) sees doubled sums. If the
 * watermark were saved before the chunks were written, a killed run would leave it saved and
 * strand the orders it did not finish. If a run moved statuses only for changed orders, not when
 * a lock period ends, (c) would find pending entries that the clean run approves. Each of these
 * was seen failing once, against a temp copy of the tree with commission-batch.ts broken on
 * purpose (the unchanged copy passed):
 *   - watermark upserted right after loadReference, before the chunks: the first killed weekly
 *     run of A failed "a killed run must not save the watermark" (its settings rows had changed);
 *   - the "pending entries of completed orders" branch of the touched-groups query disabled:
 *     (c) failed, e.g. "O-000017 line:0 aff 1: 171 pending, expected 171 approved";
 *   - existing entries not read (every run derives the full amount again): the re-runs computed
 *     full accruals under ids already taken, which the insert silently skips, so sums never
 *     adjust. The first killed weekly run failed because the armed kill at the k-th new row
 *     never fired ("promise resolved … instead of rejecting"): nothing new was inserted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BatchReport, runCommissionBatch } from '../../src/batch/commission-batch';
import { openSqlite, type SqliteStore } from '../../src/store/sqlite/sqlite-open';
import {
  type Action,
  buildScenario,
  createEntities,
  perform,
  type Scenario,
  SCENARIO_END,
  type Seeded,
} from '../support/p9-scenario';
import { startTestApp, type TestApp } from '../support/test-app';

const ORDERS = Number(process.env.P9_ORDERS ?? 2_000);
const SEED = Number(process.env.P9_SEED ?? 20_260_409);
const DAY = 86_400_000;
const WEEKLY_FROM = Date.parse('2026-01-07T00:00:00.000Z');
/** Which weekly runs of A are killed first, and how. */
const INCREMENTAL_KILLS = new Map<number, KillKind>([
  [2, 'insert'],
  [4, 'status'],
  [6, 'progress'],
  [8, 'watermark'],
  [10, 'insert'],
]);
const FINAL_AS_OF = new Date(SCENARIO_END);

type KillKind = 'insert' | 'status' | 'progress' | 'watermark';
type Row = Record<string, unknown>;

class Killed extends Error {}

// ---------- the ledger as data ----------

function ledger(raw: BetterSqlite3.Database): Row[] {
  const columns = (raw.prepare("SELECT name FROM pragma_table_info('ledger_entries')").pluck().all() as string[]).filter(
    (c) => c !== 'id',
  );
  return raw.prepare(`SELECT ${columns.join(', ')} FROM ledger_entries ORDER BY entry_id`).all() as Row[];
}

/** What the batch keeps besides the ledger: its settings rows (the watermark, the last asOf). */
const watermark = (raw: BetterSqlite3.Database) =>
  JSON.stringify(raw.prepare("SELECT key, value FROM settings WHERE key LIKE 'commission%' ORDER BY key").all());

/** Entry-for-entry differences (at most 10), keyed by entry_id; empty when equal. */
function ledgerDiff(actual: Row[], expected: Row[]): string[] {
  const a = new Map(actual.map((r) => [r.entry_id as string, JSON.stringify(r)]));
  const e = new Map(expected.map((r) => [r.entry_id as string, JSON.stringify(r)]));
  const out: string[] = [];
  for (const [id, row] of e)
    if (a.get(id) !== row) out.push(a.has(id) ? `changed ${a.get(id)} expected ${row}` : `missing ${row}`);
  for (const [id, row] of a) if (!e.has(id)) out.push(`extra ${row}`);
  if (actual.length !== a.size) out.push(`duplicate entry ids: ${actual.length} rows, ${a.size} ids`);
  return out.slice(0, 10);
}

/** Per (order, slot, beneficiary): the sum and the statuses of its entries, for slots not netting to zero. */
function slotSums(raw: BetterSqlite3.Database): Map<string, string> {
  const rows = raw
    .prepare(
      `SELECT o.external_id AS ext, e.slot, e.affiliate_id AS aff, sum(e.amount_minor) AS total, group_concat(DISTINCT e.status) AS statuses
       FROM ledger_entries e JOIN orders o ON o.id = e.order_id GROUP BY 1, 2, 3`,
    )
    .all() as { ext: string; slot: string; aff: number; total: number; statuses: string }[];
  return new Map(
    rows
      .filter((r) => r.total !== 0)
      .map((r) => [`${r.ext} ${r.slot} aff ${r.aff}`, `${r.total} ${r.statuses.split(',').sort().join('+')}`]),
  );
}

function mapDiff(actual: Map<string, string>, expected: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [k, v] of expected) if (actual.get(k) !== v) out.push(`${k}: ${actual.get(k) ?? 'absent'}, expected ${v}`);
  for (const [k, v] of actual) if (!expected.has(k)) out.push(`${k}: ${v}, expected absent`);
  return out.slice(0, 10);
}

// ---------- stores, copies, kills ----------

async function copyOf(store: SqliteStore): Promise<{ store: SqliteStore; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'clickledger-p9-'));
  const path = join(dir, 'clickledger.sqlite');
  await store.raw.backup(path);
  return { store: openSqlite({ path, synchronous: 'NORMAL' }), dir };
}

/**
 * Runs the batch with one failure armed and expects it to die of exactly that failure.
 * `at` is the k-th new ledger row (insert), or the n-th progress call (progress).
 */
async function killedRun(store: SqliteStore, asOf: Date, kind: KillKind, at = 1): Promise<void> {
  const raw = store.raw;
  let onProgress: ((done: number, total: number) => void) | undefined;
  if (kind === 'insert') {
    const maxId = (raw.prepare('SELECT coalesce(max(id), 0) FROM ledger_entries').pluck().get() as number) + at;
    raw.exec(
      `CREATE TEMP TRIGGER p9_kill AFTER INSERT ON ledger_entries WHEN NEW.id >= ${maxId} BEGIN SELECT RAISE(ABORT, 'p9: killed'); END`,
    );
  } else if (kind === 'status') {
    raw.exec(
      "CREATE TEMP TRIGGER p9_kill BEFORE UPDATE OF status ON ledger_entries BEGIN SELECT RAISE(ABORT, 'p9: killed'); END",
    );
  } else if (kind === 'watermark') {
    raw.exec(`CREATE TEMP TRIGGER p9_kill BEFORE INSERT ON settings WHEN NEW.key LIKE 'commission%' BEGIN SELECT RAISE(ABORT, 'p9: killed'); END;
              CREATE TEMP TRIGGER p9_kill_update BEFORE UPDATE ON settings WHEN NEW.key LIKE 'commission%' BEGIN SELECT RAISE(ABORT, 'p9: killed'); END`);
  } else {
    let calls = 0;
    onProgress = () => {
      if (++calls === at) throw new Killed(`p9: killed after progress call ${at}`);
    };
  }
  const before = watermark(raw);
  try {
    await expect(runCommissionBatch(store, asOf, onProgress), `the armed kill (${kind}) must fire`).rejects.toThrow(/p9: killed/);
  } finally {
    raw.exec('DROP TRIGGER IF EXISTS temp.p9_kill; DROP TRIGGER IF EXISTS temp.p9_kill_update');
  }
  // The run did not finish: its watermark was not saved.
  expect(watermark(raw), 'a killed run must not save the watermark').toBe(before);
}

// ---------- the seeded apps ----------

let scenario: Scenario;
let a: TestApp; // incremental history, weekly batches (some killed)
let b: TestApp; // the history only; the clean run
let c: { store: SqliteStore; dir: string }; // byte copy of b before any batch: killed ×5
let seededA: Seeded;
let seededB: Seeded;
const incremental: { step: number; asOf: string; report: BatchReport; killed?: KillKind }[] = [];
let clean: { rows: Row[]; report: BatchReport; progressCalls: number; watermark: string } | undefined;

async function cleanRun() {
  if (!clean) {
    let progressCalls = 0;
    const report = await runCommissionBatch(b.store, FINAL_AS_OF, () => progressCalls++);
    clean = { rows: ledger(b.store.raw), report, progressCalls, watermark: watermark(b.store.raw) };
  }
  return clean;
}

/** One weekly run of A; for the steps in INCREMENTAL_KILLS, killed first and compared with a clean copy. */
async function weeklyRun(step: number, asOf: Date) {
  a.clock.current = asOf;
  const kill = INCREMENTAL_KILLS.get(step);
  if (!kill) {
    incremental.push({
      step,
      asOf: asOf.toISOString(),
      report: await runCommissionBatch(a.store, asOf),
    });
    return;
  }
  const twin = await copyOf(a.store);
  try {
    const twinReport = await runCommissionBatch(twin.store, asOf);
    // A kill that cannot fire (nothing to insert or re-status this week) falls back to a crash
    // after the commit; the test asserts below that every armed kill did fire.
    const kind: KillKind =
      (kill === 'insert' && twinReport.entriesAppended === 0) || (kill === 'status' && twinReport.statusChanges === 0)
        ? 'progress'
        : kill;
    await killedRun(a.store, asOf, kind, kind === 'insert' ? Math.ceil(twinReport.entriesAppended / 2) : 1);
    const report = await runCommissionBatch(a.store, asOf);
    expect(
      ledgerDiff(ledger(a.store.raw), ledger(twin.store.raw)),
      `week ${step}: killed (${kind}) and re-run vs a clean run`,
    ).toEqual([]);
    expect(watermark(a.store.raw)).toBe(watermark(twin.store.raw));
    incremental.push({ step, asOf: asOf.toISOString(), report, killed: kind });
  } finally {
    await twin.store.close();
    rmSync(twin.dir, { recursive: true, force: true });
  }
}

beforeAll(async () => {
  const started = performance.now();
  scenario = buildScenario(SEED, ORDERS);
  [a, b] = await Promise.all([startTestApp(), startTestApp()]);
  seededA = await createEntities(a);
  seededB = await createEntities(b);
  const weeks: number[] = [];
  for (let t = WEEKLY_FROM; t < SCENARIO_END; t += 7 * DAY) weeks.push(t);
  let week = 0;
  let weeklyMs = 0;
  const weekly = async () => {
    const t0 = performance.now();
    await weeklyRun(week, new Date(weeks[week]!));
    weeklyMs += performance.now() - t0;
    week++;
  };
  for (const action of scenario.actions as Action[]) {
    while (week < weeks.length && weeks[week]! <= action.at) await weekly();
    await Promise.all([perform(a, seededA, scenario, action), perform(b, seededB, scenario, action)]);
  }
  while (week < weeks.length) await weekly();
  a.clock.current = b.clock.current = FINAL_AS_OF;
  c = await copyOf(b.store);
  console.log(
    `p9: ${ORDERS} orders, ${scenario.actions.length} actions, ${seededB.held.size} held, ` +
      `${weeks.length} weekly runs on A (${Math.round(weeklyMs)} ms), seeded in ${Math.round(performance.now() - started)} ms`,
  );
}, 240_000);

afterAll(async () => {
  await a?.close();
  await b?.close();
  if (c) {
    await c.store.close();
    rmSync(c.dir, { recursive: true, force: true });
  }
});

describe('P9: the commission batch replays without double-counting', () => {
  it('seeded what it meant to: every kind of entry, status and rule', async () => {
    // Same entity ids in both apps, so their ledgers can be compared by id.
    expect(seededA.affiliates.map((x) => x.id)).toEqual(seededB.affiliates.map((x) => x.id));
    expect(seededA.programs).toEqual(seededB.programs);
    expect(seededA.held).toEqual(seededB.held);
    expect(b.store.raw.prepare('SELECT count(*) FROM orders WHERE affiliate_id IS NOT NULL').pluck().get()).toBe(ORDERS);
    const { rows } = await cleanRun();
    const seen = (col: string, rs: Row[]) => new Set(rs.map((r) => String(r[col]).replace(/\[\d+\]/, '[]')));
    expect(seen('status', rows)).toEqual(new Set(['pending', 'approved', 'held']));
    expect(seen('kind', rows)).toEqual(new Set(['accrual', 'override']));
    for (const rule of ['default', 'rules[]', 'tiers[]', 'maxPerOrder', 'parentPercent', 'override'])
      expect(seen('rule', rows)).toContain(rule);
    expect(seen('plan_version', rows)).toEqual(new Set(['1', '2']));
    // The incremental history has the other kinds: adjustments, reversals.
    const kinds = new Set(ledger(a.store.raw).map((r) => `${r.kind} ${r.status}`));
    for (const k of ['adjustment pending', 'reversal reversed', 'accrual reversed']) expect(kinds).toContain(k);
  });

  it('(a) three runs at the same asOf: identical ledger, runs 2 and 3 append nothing', async () => {
    const first = await cleanRun();
    expect(first.report.entriesAppended).toBe(first.rows.length);
    expect(first.rows.length).toBeGreaterThan(ORDERS);
    for (const run of [2, 3]) {
      const report = await runCommissionBatch(b.store, FINAL_AS_OF);
      expect(report, `run ${run}`).toMatchObject({ entriesAppended: 0, statusChanges: 0, ordersChanged: 0 });
      expect(ledgerDiff(ledger(b.store.raw), first.rows), `run ${run}`).toEqual([]);
      expect(watermark(b.store.raw)).toBe(first.watermark);
    }
  });

  it('(b) killed mid-run five times, then run to completion: the same ledger as one clean run', async () => {
    const expected = await cleanRun();
    const chunks = expected.progressCalls;
    const total = expected.rows.length;
    const count = () => c.store.raw.prepare('SELECT count(*) FROM ledger_entries').pluck().get() as number;
    const trail: string[] = [];
    const kills: [KillKind, () => number][] = [
      // Inside the first chunk's transaction, 40% into what is left to write.
      ['insert', () => Math.max(1, Math.ceil((total - count()) * 0.4))],
      // After the first chunk committed (the only one at the default size).
      ['progress', () => 1],
      // Inside the next chunk, if any is left; else again after a commit.
      ['insert', () => Math.max(1, Math.ceil((total - count()) * 0.5))],
      // After the second chunk (or the only one).
      ['progress', () => Math.min(2, chunks)],
      // At the last write of all, the watermark.
      ['watermark', () => 1],
    ];
    for (const [i, [kind, at]] of kills.entries()) {
      const k = kind === 'insert' && total === count() ? 'progress' : kind;
      await killedRun(c.store, FINAL_AS_OF, k, at());
      trail.push(`kill ${i + 1} (${k}): ${count()} of ${total} entries`);
    }
    const report = await runCommissionBatch(c.store, FINAL_AS_OF);
    expect(ledgerDiff(ledger(c.store.raw), expected.rows)).toEqual([]);
    expect(watermark(c.store.raw)).toBe(expected.watermark);
    expect(report.statusChanges).toBe(0);
    // The kills did hit both sides of a commit: nothing written after the first, all of the
    // first chunk after the second; with several chunks, a partly written ledger in between.
    expect(trail[0]).toMatch(new RegExp(`: 0 of ${total}`));
    expect(trail[4]).toMatch(new RegExp(`: ${total} of ${total}`));
    if (chunks > 1) expect(trail.some((t) => !t.includes(': 0 of') && !t.includes(`: ${total} of`))).toBe(true);
    console.log(`p9 (b): ${chunks} chunk(s); ${trail.join('; ')}; final run appended ${report.entriesAppended}`);
  });

  it('(c) an incremental history with lock periods ending ends where one clean run does', async () => {
    const expected = await cleanRun();
    const final = await runCommissionBatch(a.store, FINAL_AS_OF);
    incremental.push({ step: incremental.length, asOf: FINAL_AS_OF.toISOString(), report: final });
    // Every armed kill fired and was followed by a clean re-run (checked in weeklyRun).
    expect(incremental.filter((r) => r.killed).length).toBe(INCREMENTAL_KILLS.size);
    expect(incremental.some((r) => r.report.statusChanges > 0)).toBe(true);

    expect(mapDiff(slotSums(a.store.raw), slotSums(b.store.raw))).toEqual([]);
    // Report totals: every affiliate's balances through the API.
    for (const [i, aff] of seededB.affiliates.entries()) {
      const balances = async (t: TestApp, key: string) => (await (await t.request('/v1/earnings', { key })).json()) as unknown;
      expect(await balances(a, seededA.affiliates[i]!.apiKey), `affiliate ${aff.id}`).toEqual(await balances(b, aff.apiKey));
    }
    const sum = (rows: Row[]) => rows.reduce((n, r) => n + (r.amount_minor as number), 0);
    expect(sum(ledger(a.store.raw))).toBe(sum(expected.rows));
    const killed = incremental.filter((r) => r.killed).map((r) => `${r.asOf.slice(0, 10)}:${r.killed}`);
    console.log(
      `p9 (c): ${incremental.length} runs, ${ledger(a.store.raw).length} entries vs ${expected.rows.length} in the clean run; killed ${killed.join(', ')}`,
    );
  });
});
