import { type Kysely, sql } from 'kysely';
import { monthBounds } from '../domain/calendar';
import type { Database } from '../store/database';
import { readTuples, type RowReader } from '../store/row-reader';
import { keptSalesMinor, type EvaluatedOrder, type Reference, tierMoved, tierThresholds } from './order-commission';

/**
 * The month sales before each order of a tiered program, which choose its tier: for the
 * affiliate-months a run touches, where each order the run looks at now stands, and which
 * orders that did not change the changes moved into another tier.
 */

/** An affiliate's month in a program: the unit a tier is computed over. */
export interface AffiliateMonth {
  affiliateId: number;
  programId: number;
  /** `YYYY-MM` of placed_at (UTC). */
  month: string;
  /** How many orders it holds. */
  orders: number;
}

/** Where an order stands among its month's sales: now, and as its tier mark last recorded. */
export interface SalesPosition {
  before: number;
  /** Its mark as stored (the sales before it and its kept sales when last evaluated); null: none yet. */
  mark: { before: number; kept: number } | null;
}

export interface MonthSales {
  positions: Map<number, SalesPosition>;
  /** Orders that did not change but whose sales before them now reach another tier. */
  moved: number[];
}

/**
 * Affiliate-months as a table to start from (`g`, one JSON value bound): joined by affiliate,
 * program and a placed_at range, each one is a range scan of an index in month order, and no
 * row outside them is read. CROSS JOIN keeps `g` the outer loop in SQLite. `extra` appends
 * values per month after the bounds (`$[4]` on).
 */
export function affiliateMonths(months: readonly Omit<AffiliateMonth, 'orders'>[], extra?: (m: number) => unknown[]) {
  const rows = months.map((g, i) => {
    const { from, to } = monthBounds(g.month);
    return [g.affiliateId, g.programId, from, to, ...(extra?.(i) ?? [])];
  });
  return sql<{ key: number; value: string }>`json_each(${JSON.stringify(rows)})`.as('g');
}

/** `t` (orders or tier marks) belongs to the affiliate-month `g` stands on. */
export const inAffiliateMonth = (t: 'orders' | 'm') =>
  sql<boolean>`${sql.ref(`${t}.affiliate_id`)} = json_extract(g.value, '$[0]') AND ${sql.ref(`${t}.program_id`)} = json_extract(g.value, '$[1]')
  AND ${sql.ref(`${t}.placed_at`)} >= json_extract(g.value, '$[2]') AND ${sql.ref(`${t}.placed_at`)} < json_extract(g.value, '$[3]')`;

/** An affiliate-month's key, from an order's placed_at or the month (`YYYY-MM`) itself. */
export const monthKey = (affiliateId: number | null, programId: number, placedAtOrMonth: string) =>
  `${affiliateId}:${programId}:${placedAtOrMonth.slice(0, 7)}`;

/**
 * The month sales of `months` (all of one tiered chunk), given the orders the run looks at in
 * them, read whole. Months whose every order has a tier mark are answered by SQLite from the
 * marks (`fromMarks`); the others are read as before, every order's sales facts (`fromOrders`),
 * and leave this run with their marks complete.
 */
export async function monthSales(
  store: { db: Kysely<Database>; rows: RowReader },
  ref: Reference,
  months: readonly AffiliateMonth[],
  looked: readonly EvaluatedOrder[],
): Promise<MonthSales> {
  const sales: MonthSales = { positions: new Map(), moved: [] };
  if (months.length === 0) return sales;
  const unmarked = await fromMarks(store, ref, months, looked, sales);
  if (unmarked.length > 0) await fromOrders(store, ref, unmarked, new Set(looked.map((o) => o.id)), sales);
  return sales;
}

/**
 * SQLite sums each month's running sales over the marks: every order's kept sales as last
 * evaluated, except the looked-at orders', which come in with what they keep now (a row of the
 * difference right after the order's own mark; a new order has only that row). Back come the
 * looked-at orders and the orders whose mark and new sales-before have a tier threshold of any
 * plan version between them, a superset `tierMoved` then decides on exactly. A month whose marks
 * plus new orders do not account for every order is left for `fromOrders`.
 */
async function fromMarks(
  { db, rows }: { db: Kysely<Database>; rows: RowReader },
  ref: Reference,
  months: readonly AffiliateMonth[],
  looked: readonly EvaluatedOrder[],
  sales: MonthSales,
): Promise<AffiliateMonth[]> {
  const index = new Map(months.map((g, i) => [monthKey(g.affiliateId, g.programId, g.month), i]));
  const changed: [number, number, number, string, number, number][] = [];
  for (const o of looked) {
    const i = index.get(monthKey(o.affiliate_id, o.program_id, o.placed_at));
    // An order still waiting for an exchange rate adds nothing yet, as when it is evaluated.
    if (i !== undefined) changed.push([i, o.affiliate_id!, o.program_id, o.placed_at, o.id, keptSalesMinor(ref, o) ?? 0]);
  }
  // Orders placed before a month's first looked-at order keep their sales-before: SQLite only
  // sums them (one prefix row), and runs the window over the rest of the month.
  const firstLooked = new Map<number, string>();
  for (const [i, , , placedAt] of changed) {
    const first = firstLooked.get(i);
    if (first === undefined || placedAt < first) firstLooked.set(i, placedAt);
  }
  const g = affiliateMonths(months, (i) => [firstLooked.get(i)]);
  const inMonth = (from: '$[2]' | '$[4]', to: '$[4]' | '$[3]') =>
    sql<boolean>`m.affiliate_id = json_extract(g.value, '$[0]') AND m.program_id = json_extract(g.value, '$[1]')
      AND m.placed_at >= json_extract(g.value, ${from}) AND m.placed_at < json_extract(g.value, ${to})`;
  const thresholds = months.flatMap((m, i) => tierThresholds(ref, m.programId).map((t) => [i, t]));
  const prefix = db
    .selectFrom(g)
    .crossJoin('commission_tier_marks as m')
    .where(inMonth('$[2]', '$[4]'))
    .groupBy('g.key')
    .select([
      'g.key as month',
      sql<string>`''`.as('placed_at'),
      sql<number>`0`.as('order_id'),
      sql<number>`0`.as('seq'),
      (eb) => eb.fn.sum<number>('m.kept_minor').as('kept'),
      sql<number | null>`NULL`.as('mark'),
      sql<number | null>`NULL`.as('mark_kept'),
    ]);
  const marks = db
    .selectFrom(g)
    .crossJoin('commission_tier_marks as m')
    .where(inMonth('$[4]', '$[3]'))
    .select([
      'g.key as month',
      'm.placed_at',
      'm.order_id',
      sql<number>`0`.as('seq'),
      'm.kept_minor as kept',
      (eb) => eb.ref('m.month_sales_before_minor').$castTo<number | null>().as('mark'),
      (eb) => eb.ref('m.kept_minor').$castTo<number | null>().as('mark_kept'),
    ]);
  const differences = db
    .selectFrom(sql<{ value: string }>`json_each(${JSON.stringify(changed)})`.as('c'))
    .leftJoin('commission_tier_marks as m', (join) =>
      join.on(
        sql<boolean>`m.affiliate_id = json_extract(c.value, '$[1]') AND m.program_id = json_extract(c.value, '$[2]')
          AND m.placed_at = json_extract(c.value, '$[3]') AND m.order_id = json_extract(c.value, '$[4]')`,
      ),
    )
    .select([
      sql<number>`json_extract(c.value, '$[0]')`.as('month'),
      sql<string>`json_extract(c.value, '$[3]')`.as('placed_at'),
      sql<number>`json_extract(c.value, '$[4]')`.as('order_id'),
      sql<number>`1`.as('seq'),
      sql<number>`json_extract(c.value, '$[5]') - coalesce(m.kept_minor, 0)`.as('kept'),
      'm.month_sales_before_minor as mark',
      'm.kept_minor as mark_kept',
    ]);
  const running = db
    .with('scan', () => prefix.unionAll(marks).unionAll(differences))
    .selectFrom('scan')
    .select([
      'month',
      'order_id',
      'placed_at',
      'seq',
      'mark',
      'mark_kept',
      // A difference row follows its order's own mark: what precedes the order is the sum before that mark.
      sql<number>`coalesce(sum(kept) OVER (PARTITION BY month ORDER BY placed_at, order_id, seq ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)
        - CASE WHEN seq = 1 THEN coalesce(mark_kept, 0) ELSE 0 END`.as('before'),
    ]);
  const [candidates, marked] = await Promise.all([
    readTuples(rows, ['r.month', 'r.order_id', 'r.placed_at', 'r.seq', 'r.before', 'r.mark', 'r.mark_kept'] as const, (columns) =>
      db
        // Materialized, so SQLite indexes it for the EXISTS below instead of reading JSON per row.
        .with(
          (cte) => cte('th').materialized(),
          () =>
            db
              .selectFrom(sql<{ value: string }>`json_each(${JSON.stringify(thresholds)})`.as('t'))
              .select([
                sql<number>`json_extract(t.value, '$[0]')`.as('month'),
                sql<number>`json_extract(t.value, '$[1]')`.as('t'),
              ]),
        )
        .selectFrom(running.as('r'))
        .select(columns)
        .where((eb) =>
          eb.or([
            eb('r.seq', '=', 1),
            eb.and([
              eb('r.mark', '!=', eb.ref('r.before')),
              sql<boolean>`EXISTS (SELECT 1 FROM th WHERE th.month = r.month AND th.t >= min(r.mark, r.before) AND th.t < max(r.mark, r.before))`,
            ]),
          ]),
        ),
    ),
    db
      .selectFrom(affiliateMonths(months))
      .crossJoin('commission_tier_marks as m')
      .where(inAffiliateMonth('m'))
      .groupBy('g.key')
      .select(['g.key', (eb) => eb.fn.countAll<number>().as('n')])
      .execute(),
  ]);
  // Every order of a month must have a mark, or be a new order looked at now.
  const accounted = new Map(marked.map((m) => [m.key, Number(m.n)]));
  for (const [month, , , seq, , mark] of candidates) {
    if (seq === 1 && mark === null) accounted.set(month, (accounted.get(month) ?? 0) + 1);
  }
  const lookedIds = new Set(changed.map((c) => c[4]));
  const unmarked = new Set(months.map((_, i) => i).filter((i) => !firstLooked.has(i) || accounted.get(i) !== months[i]!.orders));
  for (const [month, id, placedAt, seq, before, mark, markKept] of candidates) {
    if (unmarked.has(month)) continue;
    const position: SalesPosition = { before, mark: mark === null ? null : { before: mark, kept: markKept! } };
    if (seq === 1) sales.positions.set(id, position);
    else if (!lookedIds.has(id)) {
      const programId = months[month]!.programId;
      if (tierMoved(ref, { program_id: programId, placed_at: placedAt }, mark, before)) {
        sales.positions.set(id, position);
        sales.moved.push(id);
      }
    }
  }
  return [...unmarked].map((i) => months[i]!);
}

/** What a month's sales are read from when its marks are incomplete, in order (orders_month_sales covers them). */
const MONTH_SALES_COLUMNS = [
  'orders.id',
  'orders.affiliate_id',
  'orders.program_id',
  'orders.placed_at',
  'orders.status',
  'orders.review',
  'orders.currency',
  'orders.revenue_minor',
  'orders.refunded_minor',
  'orders.fx_rate',
  'm.month_sales_before_minor',
  'm.kept_minor',
] as const;

/**
 * Every order of the months, light (no lines), in month order: the running sales in JS. An
 * order without a mark counts as moved, so it is evaluated and marked.
 */
async function fromOrders(
  { db, rows }: { db: Kysely<Database>; rows: RowReader },
  ref: Reference,
  months: readonly AffiliateMonth[],
  looked: ReadonlySet<number>,
  sales: MonthSales,
) {
  // Read as arrays: tens of thousands of small rows, where building an object per row in the
  // driver costs as much as SQLite's read.
  const facts = await readTuples(rows, MONTH_SALES_COLUMNS, (columns) =>
    db
      .selectFrom(affiliateMonths(months))
      .crossJoin('orders')
      .leftJoin('commission_tier_marks as m', (join) =>
        join
          .onRef('m.affiliate_id', '=', 'orders.affiliate_id')
          .onRef('m.program_id', '=', 'orders.program_id')
          .onRef('m.placed_at', '=', 'orders.placed_at')
          .onRef('m.order_id', '=', 'orders.id'),
      )
      .select(columns)
      .where(inAffiliateMonth('orders'))
      // The covering index's order (orders_month_sales): each affiliate-month in placed order.
      .orderBy('orders.affiliate_id')
      .orderBy('orders.program_id')
      .orderBy('orders.placed_at')
      .orderBy('orders.id'),
  );
  const running = new Map<string, number>();
  for (const [
    id,
    affiliate_id,
    program_id,
    placed_at,
    status,
    review,
    currency,
    revenue_minor,
    refunded_minor,
    fx_rate,
    markBefore,
    markKept,
  ] of facts) {
    const o = { id, program_id, placed_at, status, review, currency, revenue_minor, refunded_minor, fx_rate };
    const key = monthKey(affiliate_id, program_id, placed_at);
    const before = running.get(key) ?? 0;
    const mark = markBefore === null ? null : { before: markBefore, kept: markKept! };
    if (looked.has(id)) sales.positions.set(id, { before, mark });
    else if (tierMoved(ref, o, markBefore, before)) {
      sales.positions.set(id, { before, mark });
      sales.moved.push(id);
    }
    const kept = keptSalesMinor(ref, o);
    // An order still waiting for an exchange rate adds nothing yet, as when it is evaluated.
    if (kept !== undefined) running.set(key, before + kept);
  }
}
