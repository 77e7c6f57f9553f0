/**
 * `npm run bench:batch [-- --orders 300000 --lines 1000000 --affiliates 200 --changed 1000 --keep]`
 *
 * What the commission batch costs next to the cheapest way to write its output (issue 4, "Proof").
 *
 *  1. Generates N attributed orders (default 300,000 with about 1,000,000 lines) over three
 *     months in four programs into a fresh SQLite store (`openSqlite`, migrations applied; WAL,
 *     synchronous NORMAL as the server runs). The rows are exactly what the order intake writes:
 *     `orders` with the state derived by `deriveOrderState` from the events, and one `order_events`
 *     row per event with the normalised payload and its content hash. They are inserted directly,
 *     not through the webhook, for speed. Plans use tiers, percent and flat rules, a new-customer
 *     bonus, a cap, parentPercent and non-cash exclusion; 10% of the affiliates have a recruiter,
 *     2% of orders are held, and the histories mix paid, completed, partly or fully refunded and
 *     cancelled orders.
 *  2. Runs the batch once over all of it (as of a day after the last order), with progress,
 *     and prints orders/s and entries/s.
 *  3. The floor: bulk-inserts the same number of ledger rows (the batch's own rows, read back)
 *     into a scratch copy of `ledger_entries` with the same columns, constraints and indexes, in
 *     1,000-row transactions. It tries both a prepared single-row INSERT and a prepared 1,000-row
 *     INSERT and takes the faster as the floor. It prints rows/s and the ratio of batch time to
 *     floor time. Goal: at most 2× (and at least 25,000 orders/s).
 *  4. Times a run a minute later with nothing changed (what each scheduled run costs at rest).
 *     Then changes `--changed` orders (default 1,000) as the intake would: a new
 *     `order.completed` or `order.refunded` event, the state re-derived, `updated_at` bumped.
 *     Then it times an incremental run a minute later. Goal: under 1 s.
 *
 * The store is in a temp dir, removed at the end unless --keep. `--profile DIR` writes V8 CPU
 * profiles of the full and the incremental run alone (`batch.cpuprofile`, `incremental.cpuprofile`;
 * open them in Chrome DevTools). The machine's load average is printed with the figures: on a
 * shared machine they are only comparable with each other within one run.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type {
  KyselyPlugin,
  OperationNode,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely';
import { runCommissionBatch } from '../src/batch/commission-batch';
import { deriveOrderState, type OrderEventFacts, type OrderEventType, type OrderSnapshot } from '../src/domain/order';
import { openSqlite } from '../src/store/sqlite/sqlite-open';
import { makeTempDir, removeDir } from '../test/support/server-process';
import { prng } from '../test/support/prng';
import { stateColumns } from '../src/store/order-rows';
import { positiveInt } from './int-option';

const { values } = parseArgs({
  options: {
    orders: { type: 'string' },
    lines: { type: 'string' },
    affiliates: { type: 'string' },
    changed: { type: 'string' },
    seed: { type: 'string' },
    keep: { type: 'boolean', default: false },
    reuse: { type: 'string' },
    profile: { type: 'string' },
  },
});
const ORDERS = positiveInt('orders', values.orders, 300_000);
// Default: 1,000,000 lines per 300,000 orders, scaled.
const LINES = positiveInt('lines', values.lines, Math.round((ORDERS * 10) / 3));
const AFFILIATES = positiveInt('affiliates', values.affiliates, Math.max(5, Math.min(200, Math.round(ORDERS / 1500))));
const CHANGED = Math.min(ORDERS, positiveInt('changed', values.changed, 1_000));
const SEED = positiveInt('seed', values.seed, 4242);

const rand = prng(SEED);
const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
const chance = (p: number) => rand() < p;

const tty = process.stdout.isTTY;
function progress(label: string, done: number, total: number) {
  const line = `  ${label} ${done.toLocaleString('en')}/${total.toLocaleString('en')} (${Math.floor((done / Math.max(total, 1)) * 100)}%)`;
  if (tty) process.stdout.write(`\r${line}`);
  else if (done === total || done % Math.max(1, Math.ceil(total / 10)) < 1) console.log(line);
}
const endProgress = () => tty && process.stdout.write('\n');
const load = () =>
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} on ${availableParallelism()} CPUs`;

/** Runs `work` under the V8 profiler when --profile is set, writing DIR/name.cpuprofile. */
async function profiled<T>(name: string, work: () => Promise<T>): Promise<T> {
  if (!values.profile) return work();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    mkdirSync(values.profile, { recursive: true });
    writeFileSync(join(values.profile, `${name}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  }
}
/** CPU time of this process: on a shared machine it moves far less than the wall clock. */
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
const fmt = (n: number) => Math.round(n).toLocaleString('en');
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

const DAY = 86_400_000;
const FIRST_ORDER = Date.parse('2026-07-01T00:00:00.000Z');
const LAST_ORDER = Date.parse('2026-09-30T23:59:00.000Z');
const AS_OF = new Date(LAST_ORDER + DAY);
const CREATED = '2026-06-01T00:00:00.000Z';

const PLANS = [
  {
    lockDays: 14,
    plan: {
      default: { percent: '6' },
      rules: [
        { sku: 'GIFT', flat: '1.50' },
        { category: 'shoes', percent: '9.5' },
        { newCustomer: true, bonusFlat: '4.00' },
      ],
      tiers: [
        { monthlySalesOver: '3000.00', percent: '7.25' },
        { monthlySalesOver: '9000.00', percent: '8.5' },
      ],
      maxPerOrder: '30.00',
      parentPercent: '10',
      excludeNonCash: true,
    },
  },
  {
    lockDays: 30,
    plan: {
      default: { percent: '4' },
      rules: [
        { category: 'books', percent: '2.5' },
        { sku: 'VIP', bonusFlat: '2.00' },
      ],
      tiers: [{ monthlySalesOver: '2000.00', percent: '5' }],
      maxPerOrder: '20.00',
      parentPercent: '7.5',
    },
  },
  {
    lockDays: 7,
    plan: { default: { percent: '10' }, tiers: [{ monthlySalesOver: '10000.00', percent: '12' }], parentPercent: '5' },
  },
  {
    lockDays: 21,
    plan: {
      default: { percent: '3.5' },
      rules: [
        { category: 'home', percent: '5' },
        { newCustomer: true, bonusFlat: '2.00' },
      ],
      maxPerOrder: '50.00',
    },
  },
];
const CATALOG = [
  { sku: 'SHOE-RUN', category: 'shoes' },
  { sku: 'SHOE-TRAIL', category: 'shoes' },
  { sku: 'BOOK-1', category: 'books' },
  { sku: 'BOOK-2', category: 'books' },
  { sku: 'GIFT', category: 'gifts' },
  { sku: 'VIP', category: 'apparel' },
  { sku: 'TEE', category: 'apparel' },
  { sku: 'MUG', category: 'home' },
];

// --reuse: a store an earlier run kept, already batched; only step 4 runs, on fresh changes.
const REUSE = values.reuse;
const dir = REUSE ? undefined : makeTempDir('clickledger-bench-batch-');
const path = REUSE ?? join(dir!, 'clickledger.sqlite');
const store = openSqlite({ path, synchronous: 'NORMAL' });
const raw = store.raw;

console.log(
  `bench:batch: ${fmt(ORDERS)} orders, ~${fmt(LINES)} lines, ${AFFILIATES} affiliates, 4 programs, store ${path}; ${load()}`,
);

/**
 * Where a run's time goes: per kind of query (statement and table), the time from Kysely taking
 * the query to the result coming back (compile + SQLite), and the rest (JavaScript between the
 * queries: evaluating orders, building rows). BEGIN/COMMIT are not queries here: they count as
 * the rest.
 */
class QueryTiming implements KyselyPlugin {
  private started = new WeakMap<object, { at: number; kind: string }>();
  totals = new Map<string, { ms: number; n: number }>();
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    this.started.set(args.queryId, { at: performance.now(), kind: describe(args.node) });
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const s = this.started.get(args.queryId);
    if (s) {
      const t = this.totals.get(s.kind) ?? { ms: 0, n: 0 };
      t.ms += performance.now() - s.at;
      t.n++;
      this.totals.set(s.kind, t);
    }
    return args.result;
  }
  report(totalMs: number): string {
    const rows = [...this.totals].sort((a, b) => b[1].ms - a[1].ms);
    const inQueries = rows.reduce((n, [, t]) => n + t.ms, 0);
    return [
      ...rows.map(([k, t]) => `    ${secs(t.ms).padStart(9)} ${((100 * t.ms) / totalMs).toFixed(0).padStart(3)}%  ${t.n}× ${k}`),
      `    ${secs(totalMs - inQueries).padStart(9)} ${((100 * (totalMs - inQueries)) / totalMs).toFixed(0).padStart(3)}%  outside queries (evaluating orders, building rows, BEGIN/COMMIT)`,
    ].join('\n');
  }
}

function describe(node: OperationNode): string {
  const n = node as unknown as {
    kind: string;
    from?: { froms: { table?: { identifier?: { name: string } } }[] };
    into?: { table: { identifier: { name: string } } };
    table?: { table?: { identifier?: { name: string } } };
  };
  if (n.kind === 'SelectQueryNode') return `SELECT from ${n.from?.froms.map((f) => f.table?.identifier?.name ?? '?').join(', ')}`;
  if (n.kind === 'InsertQueryNode') return `INSERT into ${n.into?.table.identifier.name}`;
  if (n.kind === 'UpdateQueryNode') return `UPDATE ${n.table?.table?.identifier?.name ?? '?'}`;
  return n.kind;
}

// ---------- 1. reference data and orders ----------

if (!REUSE) {
  raw.prepare('INSERT INTO merchants (id, name, created_at) VALUES (1, ?, ?)').run('Bench shop', CREATED);
  for (let i = 1; i <= AFFILIATES; i++) {
    const parent = i > 10 && i % 10 === 0 ? int(1, 10) : null;
    raw
      .prepare('INSERT INTO affiliates (id, name, parent_id, created_at) VALUES (?, ?, ?, ?)')
      .run(i, `Affiliate ${i}`, parent, CREATED);
  }
  PLANS.forEach((p, i) => {
    const id = i + 1;
    raw
      .prepare(
        `INSERT INTO programs (id, merchant_id, name, landing_url, allowed_domains, currency, cookie_days, lock_days, plan, created_at, updated_at)
       VALUES (?, 1, ?, 'https://shop.example/', '["shop.example"]', 'EUR', 30, ?, ?, ?, ?)`,
      )
      .run(id, `Program ${id}`, p.lockDays, JSON.stringify(p.plan), CREATED, CREATED);
    raw
      .prepare(
        "INSERT INTO plan_versions (program_id, version, plan, effective_from, created_at) VALUES (?, 1, ?, '1970-01-01T00:00:00.000Z', ?)",
      )
      .run(id, JSON.stringify(p.plan), CREATED);
    for (let a = 1; a <= AFFILIATES; a++) {
      raw
        .prepare(
          "INSERT INTO program_affiliates (program_id, affiliate_id, status, created_at, updated_at) VALUES (?, ?, 'approved', ?, ?)",
        )
        .run(id, a, CREATED, CREATED);
    }
  });
}

const insertOrder = raw.prepare(
  `INSERT INTO orders (merchant_id, program_id, external_id, currency, placed_at, attribution_method, attribution_reason,
     affiliate_id, link_id, click_id, coupon_code, held, receipt, status, paid_at, completed_at, refunded_at, cancelled_at,
     snapshot, snapshot_at, revenue_minor, refunded_minor, customer_id, new_customer, created_at, updated_at)
   VALUES (1, @program_id, @external_id, 'EUR', @placed_at, 'click', 'valid_click', @affiliate_id, NULL, @click_id, NULL, @held,
     @receipt, @status, @paid_at, @completed_at, @refunded_at, @cancelled_at, @snapshot, @snapshot_at, @revenue_minor,
     @refunded_minor, @customer_id, @new_customer, @created_at, @updated_at)`,
);
const insertEvent = raw.prepare(
  `INSERT INTO order_events (order_id, merchant_id, delivery_id, channel, type, occurred_at, received_at, content_hash, payload)
   VALUES (?, 1, ?, 'webhook', ?, ?, ?, ?, ?)`,
);

/** A normalised event as the webhook route builds it, with its content hash. */
function event(type: OrderEventType, at: number, order: OrderSnapshot): OrderEventFacts {
  const occurredAt = new Date(at).toISOString();
  const normalized = { type, occurredAt, order };
  return { type, occurredAt, order, contentHash: createHash('sha256').update(JSON.stringify(normalized)).digest('hex') };
}

function withRefunds(order: OrderSnapshot, refunded: number[]): OrderSnapshot {
  return { ...order, lines: order.lines.map((l, i) => ({ ...l, refundedQuantity: refunded[i] ?? 0 })) };
}

// Delivery ids stay unique in a reused store: each run's own prefix.
const deliveryPrefix = REUSE ? `bench_${Date.now()}_` : 'bench_';
let deliveries = 0;
function storeEvents(orderId: number, events: OrderEventFacts[], receivedAt: (e: OrderEventFacts) => string) {
  for (const e of events) {
    insertEvent.run(
      orderId,
      `${deliveryPrefix}${++deliveries}`,
      e.type,
      e.occurredAt,
      receivedAt(e),
      e.contentHash,
      JSON.stringify(e.order),
    );
  }
}

if (!REUSE) {
  const linesPerOrder = LINES / ORDERS;
  let linesMade = 0;
  const generateStarted = performance.now();
  const BATCH = 5_000;
  for (let from = 0; from < ORDERS; from += BATCH) {
    raw.transaction(() => {
      for (let n = from; n < Math.min(ORDERS, from + BATCH); n++) {
        // Lines: keep the running mean on target.
        const target = Math.round((n + 1) * linesPerOrder) - linesMade;
        const lineCount = Math.max(1, Math.min(12, target + int(-1, 1)));
        linesMade += lineCount;
        const placedAt = FIRST_ORDER + Math.floor(rand() * (LAST_ORDER - FIRST_ORDER));
        const program = int(1, PLANS.length);
        // A skewed affiliate mix: a few big ones, a long tail.
        const affiliate = 1 + Math.floor(AFFILIATES * rand() ** 2);
        const lines = Array.from({ length: lineCount }, () => {
          const item = CATALOG[int(0, CATALOG.length - 1)]!;
          const quantity = int(1, 4);
          const unitPriceMinor = int(299, 18_000);
          const discountMinor = chance(0.2) ? int(1, Math.floor((quantity * unitPriceMinor) / 10)) : 0;
          return { sku: item.sku, category: item.category, quantity, unitPriceMinor, discountMinor, refundedQuantity: 0 };
        });
        const goods = lines.reduce((s, l) => s + l.quantity * l.unitPriceMinor - l.discountMinor, 0);
        const newCustomer = chance(0.3);
        const snapshot: OrderSnapshot = {
          id: `B-${n}`,
          clickId: `clk_${n}`,
          customerId: `cust-${int(1, 100_000)}`,
          newCustomer,
          currency: 'EUR',
          shippingMinor: 0,
          taxMinor: 0,
          nonCashMinor: chance(0.1) ? int(1, Math.floor(goods / 5)) : 0,
          placedAt: new Date(placedAt).toISOString(),
          lines,
        };
        const events = [event(chance(0.03) ? 'order.created' : 'order.paid', placedAt, snapshot)];
        let t = placedAt;
        const r = rand();
        if (r < 0.07) events.push(event('order.cancelled', placedAt + int(1, 72) * 3_600_000, snapshot));
        else if (r < 0.85) {
          t = placedAt + int(1, 10) * DAY;
          events.push(event('order.completed', t, snapshot));
          if (chance(0.08)) {
            const refunded = lines.map(() => 0);
            const i = int(0, lines.length - 1);
            refunded[i] = int(1, lines[i]!.quantity);
            events.push(event('order.refunded', t + int(1, 10) * DAY, withRefunds(snapshot, refunded)));
          } else if (chance(0.03)) {
            events.push(event('order.refunded', t + int(1, 10) * DAY, snapshot));
          }
        }
        // Events after asOf have not happened yet.
        const happened = events.filter((e) => Date.parse(e.occurredAt) <= AS_OF.getTime());
        const state = deriveOrderState(happened);
        const last = happened.reduce((m, e) => (e.occurredAt > m ? e.occurredAt : m), happened[0]!.occurredAt);
        const inserted = insertOrder.run({
          program_id: program,
          external_id: `B-${n}`,
          placed_at: snapshot.placedAt!,
          affiliate_id: affiliate,
          click_id: snapshot.clickId!,
          held: chance(0.02) ? 1 : 0,
          receipt: JSON.stringify({
            method: 'click',
            reason: 'valid_click',
            placedAt: snapshot.placedAt,
            candidates: [],
            flags: [],
          }),
          ...stateColumns(state, last),
          customer_id: snapshot.customerId!,
          new_customer: newCustomer ? 1 : 0,
          created_at: events[0]!.occurredAt,
        });
        storeEvents(Number(inserted.lastInsertRowid), happened, (e) => e.occurredAt);
      }
    })();
    progress('orders generated', Math.min(ORDERS, from + BATCH), ORDERS);
  }
  endProgress();
  raw.pragma('wal_checkpoint(TRUNCATE)');
  raw.exec('ANALYZE');
  const generateMs = performance.now() - generateStarted;
  const eventCount = raw.prepare('SELECT count(*) FROM order_events').pluck().get() as number;
  console.log(`generated ${fmt(ORDERS)} orders, ${fmt(linesMade)} lines, ${fmt(eventCount)} events in ${secs(generateMs)}`);

  // ---------- 2. the batch ----------

  console.log(`batch as of ${AS_OF.toISOString()}:`);
  const batchTiming = new QueryTiming();
  const batchCpuFrom = cpuMs();
  const report = await profiled('batch', () =>
    runCommissionBatch({ ...store, db: store.db.withPlugin(batchTiming) }, AS_OF, (done, total) =>
      progress('orders', done, total),
    ),
  );
  endProgress();
  const batchCpu = cpuMs() - batchCpuFrom;
  const batchMs = report.durationMs;
  const entries = report.entriesAppended;
  console.log(
    `batch: ${fmt(report.ordersExamined)} orders examined, ${fmt(report.ordersChanged)} changed, ${fmt(entries)} entries appended in ${secs(batchMs)} (cpu ${secs(batchCpu)})` +
      ` → ${fmt(report.ordersExamined / (batchMs / 1000))} orders/s, ${fmt(entries / (batchMs / 1000))} entries/s`,
  );
  console.log(batchTiming.report(batchMs));

  // ---------- 3. the floor ----------

  // The batch's own rows, read back, go into a scratch copy of ledger_entries (same columns,
  // constraints, indexes and insert trigger — each ledger row queues an outbox row for ClickHouse —
  // empty) in 1,000-row transactions, two ways: one prepared single-row
  // INSERT run 1,000 times per transaction, and one prepared 1,000-row INSERT … VALUES (…), (…), …
  // (the shape the batch itself uses). The floor is the faster of the two.
  const tableSql = raw
    .prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'ledger_entries'")
    .pluck()
    .get() as string;
  const indexSqls = raw
    .prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'ledger_entries' AND sql IS NOT NULL")
    .pluck()
    .all() as string[];
  const insertTriggerSqls = raw
    .prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'ledger_entries' AND sql LIKE '%AFTER INSERT%'")
    .pluck()
    .all() as string[];
  const columns = (raw.prepare("SELECT name FROM pragma_table_info('ledger_entries')").pluck().all() as string[]).filter(
    (c) => c !== 'id',
  );
  const rows = raw
    .prepare(`SELECT ${columns.join(', ')} FROM ledger_entries ORDER BY id`)
    .raw()
    .all() as unknown[][];
  const tuple = `(${columns.map(() => '?').join(', ')})`;

  function timeFloor(rowsPerStatement: 1 | 1000): { ms: number; cpu: number } {
    raw.exec(tableSql.replace(/CREATE TABLE\s+ledger_entries/i, 'CREATE TABLE ledger_floor'));
    for (const indexSql of indexSqls)
      raw.exec(indexSql.replace(/INDEX\s+(\w+)\s+ON\s+ledger_entries/i, 'INDEX $1_floor ON ledger_floor'));
    for (const triggerSql of insertTriggerSqls)
      raw.exec(
        triggerSql.replace(
          /TRIGGER\s+(\w+)\s+AFTER INSERT ON\s+ledger_entries/i,
          'TRIGGER $1_floor AFTER INSERT ON ledger_floor',
        ),
      );
    const outboxBefore = raw.prepare('SELECT coalesce(max(seq), 0) FROM clickhouse_outbox').pluck().get() as number;
    const insert = (n: number) =>
      raw.prepare(`INSERT INTO ledger_floor (${columns.join(', ')}) VALUES ${Array(n).fill(tuple).join(', ')}`);
    const full = insert(rowsPerStatement);
    const transaction = raw.transaction((slice: unknown[][]) => {
      if (rowsPerStatement === 1) for (const row of slice) full.run(row);
      else (slice.length === 1000 ? full : insert(slice.length)).run(slice.flat());
    });
    const started = performance.now();
    const cpuFrom = cpuMs();
    for (let i = 0; i < rows.length; i += 1000) transaction(rows.slice(i, i + 1000));
    const ms = performance.now() - started;
    const cpu = cpuMs() - cpuFrom;
    raw.exec('DROP TABLE ledger_floor');
    raw.prepare('DELETE FROM clickhouse_outbox WHERE seq > ?').run(outboxBefore);
    raw.pragma('wal_checkpoint(TRUNCATE)');
    console.log(
      `  ${rowsPerStatement === 1 ? 'single-row INSERTs' : '1,000-row INSERTs '}: ${fmt(rows.length)} rows in ${secs(ms)} (cpu ${secs(cpu)}) → ${fmt(rows.length / (ms / 1000))} rows/s`,
    );
    return { ms, cpu };
  }

  raw.pragma('wal_checkpoint(TRUNCATE)');
  console.log('floor (1,000-row transactions into a scratch copy of ledger_entries):');
  const [single, multi] = [timeFloor(1), timeFloor(1000)];
  const floorMs = Math.min(single.ms, multi.ms);
  const floorCpu = Math.min(single.cpu, multi.cpu);
  console.log(
    `floor: ${secs(floorMs)} → ${fmt(rows.length / (floorMs / 1000))} rows/s, ${fmt(ORDERS / (floorMs / 1000))} orders/s at ${(rows.length / ORDERS).toFixed(2)} rows per order`,
  );
  const ratio = batchMs / floorMs;
  const ordersPerSecond = report.ordersExamined / (batchMs / 1000);
  console.log(
    `ratio batch/floor: ${ratio.toFixed(2)}× (goal ≤ 2×: ${ratio <= 2 ? 'met' : 'NOT met'}; in cpu time ${(batchCpu / floorCpu).toFixed(2)}×); ` +
      `${fmt(ordersPerSecond)} orders/s (goal ≥ 25,000: ${ordersPerSecond >= 25_000 ? 'met' : 'NOT met'})`,
  );
}

// ---------- 4. a run with nothing changed, then one after CHANGED orders changed ----------

// What every scheduled run costs when nothing happened (the server runs the batch every minute).
// A reused store continues from its last run's asOf.
const lastAsOf = raw.prepare("SELECT value FROM settings WHERE key = 'commission_last_as_of'").pluck().get() as
  string | undefined;
const IDLE_AS_OF = Math.max(AS_OF.getTime(), lastAsOf ? Date.parse(lastAsOf) : 0) + 60_000;
const idle = await runCommissionBatch(store, new Date(IDLE_AS_OF));
console.log(
  `idle: a run a minute later with nothing changed: ${fmt(idle.ordersExamined)} orders examined, ` +
    `${fmt(idle.entriesAppended)} entries appended, ${fmt(idle.statusChanges)} status changes in ${secs(idle.durationMs)}`,
);

const CHANGE_AT = IDLE_AS_OF + 9 * 60_000;
const INCREMENTAL_AS_OF = new Date(CHANGE_AT + 60_000);
const candidates = raw.prepare("SELECT id, status FROM orders WHERE status IN ('paid', 'completed') ORDER BY id").all() as {
  id: number;
  status: string;
}[];
const eventsOf = raw.prepare('SELECT type, occurred_at, content_hash, payload FROM order_events WHERE order_id = ?');
const updateState = raw.prepare(
  `UPDATE orders SET status = @status, paid_at = @paid_at, completed_at = @completed_at, refunded_at = @refunded_at,
     cancelled_at = @cancelled_at, snapshot = @snapshot, snapshot_at = @snapshot_at, revenue_minor = @revenue_minor,
     refunded_minor = @refunded_minor, updated_at = @updated_at WHERE id = @id`,
);
const picked = new Set<number>();
while (picked.size < Math.min(CHANGED, candidates.length)) picked.add(int(0, candidates.length - 1));
let completedNow = 0;
let refundedNow = 0;
raw.transaction(() => {
  let k = 0;
  for (const index of picked) {
    const { id, status } = candidates[index]!;
    const at = CHANGE_AT + k++;
    const stored = (
      eventsOf.all(id) as { type: OrderEventType; occurred_at: string; content_hash: string; payload: string }[]
    ).map((e): OrderEventFacts => ({
      type: e.type,
      occurredAt: e.occurred_at,
      contentHash: e.content_hash,
      order: JSON.parse(e.payload) as OrderSnapshot,
    }));
    const latest = stored[stored.length - 1]!.order;
    // Paid orders complete; completed ones get a partial refund of their first line.
    const next =
      status === 'paid'
        ? event('order.completed', at, latest)
        : event('order.refunded', at, withRefunds(latest, [Math.max(1, Math.floor(latest.lines[0]!.quantity / 2))]));
    if (status === 'paid') completedNow++;
    else refundedNow++;
    const now = new Date(at).toISOString();
    storeEvents(id, [next], () => now);
    updateState.run({ id, ...stateColumns(deriveOrderState([...stored, next]), now) });
  }
})();
const incrementalTiming = new QueryTiming();
const incrementalCpuFrom = cpuMs();
const incremental = await profiled('incremental', () =>
  runCommissionBatch({ ...store, db: store.db.withPlugin(incrementalTiming) }, INCREMENTAL_AS_OF),
);
const incrementalCpu = cpuMs() - incrementalCpuFrom;
console.log(
  `incremental: ${fmt(picked.size)} orders changed (${completedNow} completed, ${refundedNow} partly refunded); ` +
    `run as of ${INCREMENTAL_AS_OF.toISOString()}: ${fmt(incremental.ordersExamined)} orders examined, ${fmt(incremental.ordersChanged)} changed, ` +
    `${fmt(incremental.entriesAppended)} entries appended, ${fmt(incremental.statusChanges)} status changes in ${secs(incremental.durationMs)} (cpu ${secs(incrementalCpu)})` +
    ` (goal < 1 s: ${incremental.durationMs < 1000 ? 'met' : 'NOT met'})`,
);
console.log(incrementalTiming.report(incremental.durationMs));

console.log(load());
if (values.profile) console.log(`profiles in ${values.profile}`);
await store.close();
if (values.keep) console.log(`kept ${path}`);
else if (dir) removeDir(dir);
