import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouse } from '../../src/clickhouse/clickhouse';
import { readClickHouseDdl } from '../../src/clickhouse/ddl-files';
import { applyClickHouseSchema } from '../../src/clickhouse/schema';
import { refreshReportDays } from '../../src/reports/report-days';
import { type GroupBy, type SummaryQuery, summaryReport } from '../../src/reports/summary-report';
import { openTestReportStore } from '../support/test-app';

/**
 * UTC reports by day, affiliate and program read the daily rollups (click_days_v1,
 * report_days_v1); every other zone reads the hourly rollup and folds orders and ledger
 * entries with FINAL. Etc/UTC is UTC by another name, so it must give the same figures through
 * the other path, whatever state the snapshot is in.
 */
let ch: ClickHouse;

beforeAll(async () => {
  ch = (await openTestReportStore()).clickhouse;
});

afterAll(async () => {
  await ch.command(`DROP DATABASE IF EXISTS ${ch.database}`);
  await ch.close();
});

const dims = { country: '', device: '', browser: '', os: '', sub1: '', sub2: '', sub3: '', sub4: '', sub5: '' };

function order(
  id: number,
  version: number,
  o: { program: number; affiliate: number; placedAt: string; status: string; revenue: number; currency?: string },
) {
  return {
    order_id: id,
    version,
    external_id: `o${id}`,
    program_id: o.program,
    affiliate_id: o.affiliate,
    link_id: 0,
    click_id: '',
    coupon_code: '',
    attribution_method: 'click',
    placed_at: o.placedAt,
    status: o.status,
    revenue_minor: o.revenue,
    currency: o.currency ?? 'EUR',
    ...dims,
  };
}

function entry(
  id: string,
  version: number,
  e: { order: number; program: number; affiliate: number; placedAt: string; status: string; amount: number; currency?: string },
) {
  return {
    entry_id: id,
    version,
    order_id: e.order,
    program_id: e.program,
    affiliate_id: e.affiliate,
    link_id: 0,
    placed_at: e.placedAt,
    created_at: e.placedAt,
    kind: 'accrual',
    status: e.status,
    amount_minor: e.amount,
    currency: e.currency ?? 'EUR',
    ...dims,
  };
}

function click(id: string, program: number, affiliate: number, clickedAt: string, isBot = 0) {
  return {
    click_id: id,
    clicked_at: clickedAt,
    program_id: program,
    affiliate_id: affiliate,
    link_id: 1,
    currency: 'EUR',
    is_bot: isBot,
    is_unique: 1,
    country: '',
    device: '',
    browser: '',
    os: '',
    referer_host: '',
    paid_search: '',
    sub1: '',
    sub2: '',
    sub3: '',
    sub4: '',
    sub5: '',
  };
}

const base: SummaryQuery = {
  from: '2026-11-01',
  to: '2026-11-30',
  tz: 'UTC',
  groupBy: 'day',
  programIds: [1, 2],
  affiliateId: null,
  linkId: null,
  wholeHourZone: true,
  maxExecutionSeconds: 10,
};

/** The report through the daily rollups, checked against the unrolled read of the same question. */
async function sameBothWays(groupBy: GroupBy, scope: Partial<SummaryQuery> = {}) {
  const daily = (await summaryReport(ch, { ...base, ...scope, groupBy })).rows;
  const unrolled = (await summaryReport(ch, { ...base, ...scope, groupBy, tz: 'Etc/UTC' })).rows;
  expect(daily).toEqual(unrolled);
  return daily;
}

const snapshotRows = async () =>
  (
    await ch.query('SELECT count() AS n FROM report_days_v1 FINAL WHERE source_rows > 0', {}, z.object({ n: z.coerce.number() }))
  )[0]!.n;

describe('UTC reports from the daily rollups', () => {
  it('give the figures of the unrolled read before the snapshot catches up, after it, and after a group empties', async () => {
    await ch.insert(
      'clicks_v1',
      [
        click('c1', 1, 11, '2026-11-02 23:59:59.999'),
        click('c2', 1, 11, '2026-11-03 00:00:00.000'),
        click('c3', 1, 12, '2026-11-03 10:00:00.000', 1),
        click('c4', 2, 21, '2026-11-30 23:00:00.000'),
        click('c5', 3, 31, '2026-11-03 10:00:00.000'),
      ],
      'test:clicks',
    );
    await ch.insert(
      'orders_v1',
      [
        order(1, 1, { program: 1, affiliate: 11, placedAt: '2026-11-02 23:59:59.999', status: 'paid', revenue: 1000 }),
        order(2, 2, {
          program: 1,
          affiliate: 12,
          placedAt: '2026-11-03 08:00:00.000',
          status: 'paid',
          revenue: 2000,
          currency: 'USD',
        }),
        order(3, 3, { program: 2, affiliate: 21, placedAt: '2026-11-30 12:00:00.000', status: 'cancelled', revenue: 0 }),
        order(4, 4, { program: 1, affiliate: 0, placedAt: '2026-11-03 09:00:00.000', status: 'paid', revenue: 500 }),
        order(5, 5, { program: 3, affiliate: 31, placedAt: '2026-11-03 09:00:00.000', status: 'paid', revenue: 700 }),
      ],
      'test:orders:1',
    );
    await ch.insert(
      'ledger_entries_v1',
      [
        entry('1:0', 6, {
          order: 1,
          program: 1,
          affiliate: 11,
          placedAt: '2026-11-02 23:59:59.999',
          status: 'pending',
          amount: 100,
        }),
        entry('2:0', 7, {
          order: 2,
          program: 1,
          affiliate: 12,
          placedAt: '2026-11-03 08:00:00.000',
          status: 'approved',
          amount: 200,
          currency: 'USD',
        }),
        entry('3:0', 8, {
          order: 3,
          program: 2,
          affiliate: 21,
          placedAt: '2026-11-30 12:00:00.000',
          status: 'reversed',
          amount: 0,
        }),
      ],
      'test:ledger:1',
    );
    // Nothing recomputed yet: every day is read from the versioned tables.
    const byDayUnrefreshed = await sameBothWays('day');
    for (const groupBy of ['affiliate', 'program'] as const) await sameBothWays(groupBy);
    expect(await snapshotRows()).toBe(0);

    expect(await refreshReportDays(ch)).toEqual(['2026-11-02', '2026-11-03', '2026-11-30']);
    expect(await snapshotRows()).toBeGreaterThan(0);
    expect(await refreshReportDays(ch)).toEqual([]);
    const byDay = await sameBothWays('day');
    expect(byDay.map((r) => [r.key, r.currency, r.clicks, r.orders, r.revenue, r.commission])).toEqual([
      ['2026-11-02', 'EUR', 1, 1, '10.00', '1.00'],
      ['2026-11-03', 'EUR', 1, 0, '0.00', '0.00'],
      ['2026-11-03', 'USD', 0, 1, '20.00', '2.00'],
      ['2026-11-30', 'EUR', 1, 0, '0.00', '0.00'],
    ]);
    expect(byDayUnrefreshed).toEqual(byDay);
    for (const groupBy of ['affiliate', 'program'] as const) await sameBothWays(groupBy);
    await sameBothWays('day', { affiliateId: 12 });
    await sameBothWays('affiliate', { programIds: null, affiliateId: 31 });

    // Order 2's rate is pinned (USD → EUR): its USD group empties; order 1 is refunded in full.
    await ch.insert(
      'orders_v1',
      [
        order(2, 9, { program: 1, affiliate: 12, placedAt: '2026-11-03 08:00:00.000', status: 'paid', revenue: 1800 }),
        order(1, 10, { program: 1, affiliate: 11, placedAt: '2026-11-02 23:59:59.999', status: 'refunded', revenue: 0 }),
      ],
      'test:orders:2',
    );
    await ch.insert(
      'ledger_entries_v1',
      [
        entry('2:0', 11, {
          order: 2,
          program: 1,
          affiliate: 12,
          placedAt: '2026-11-03 08:00:00.000',
          status: 'paid',
          amount: 180,
        }),
      ],
      'test:ledger:2',
    );
    // Before the snapshot catches up, the changed days come from the versioned tables (the
    // snapshot still holds their old totals): the same figures as once it has caught up.
    const afterUnrefreshed = await sameBothWays('day');
    for (const groupBy of ['affiliate', 'program'] as const) await sameBothWays(groupBy);
    expect(await refreshReportDays(ch)).toEqual(['2026-11-02', '2026-11-03']);
    const after = await sameBothWays('day');
    expect(afterUnrefreshed).toEqual(after);
    expect(after.map((r) => [r.key, r.currency, r.orders, r.revenue, r.commission, r.commissionSettled])).toEqual([
      ['2026-11-02', 'EUR', 0, '0.00', '1.00', '0.00'],
      ['2026-11-03', 'EUR', 1, '18.00', '1.80', '1.80'],
      ['2026-11-30', 'EUR', 0, '0.00', '0.00', '0.00'],
    ]);
    for (const groupBy of ['affiliate', 'program'] as const) await sameBothWays(groupBy);

    // UTC really reads the snapshot: a row only the snapshot has shows in UTC, not in Etc/UTC.
    await ch.insert(
      'report_days_v1',
      [
        {
          day: '2026-11-05',
          program_id: 1,
          affiliate_id: 11,
          currency: 'EUR',
          version: 1,
          source_rows: 1,
          orders: 7,
          revenue_minor: 700,
          commission_minor: 70,
          estimated_minor: 70,
          settled_minor: 0,
        },
      ],
      'test:report-days:marker',
    );
    const utc = (await summaryReport(ch, { ...base, groupBy: 'day' })).rows;
    const etc = (await summaryReport(ch, { ...base, groupBy: 'day', tz: 'Etc/UTC' })).rows;
    expect(utc.find((r) => r.key === '2026-11-05')).toMatchObject({ orders: 7, revenue: '7.00', commission: '0.70' });
    expect(etc.find((r) => r.key === '2026-11-05')).toBeUndefined();
  });
});

describe('the click_days_v1 backfill', () => {
  it('fills the daily click rollup once from the hourly one for a ClickHouse that had clicks before it', async () => {
    const days = z.object({ day: z.string(), clicks: z.coerce.number(), bots: z.coerce.number() });
    const read = () =>
      ch.query(
        'SELECT toString(day) AS day, sum(clicks) AS clicks, sum(bot_clicks) AS bots FROM click_days_v1 GROUP BY day ORDER BY day',
        {},
        days,
      );
    const before = await read();
    expect(before.length).toBeGreaterThan(0);
    // As a ClickHouse from before click_days_v1: the rollup holds a partial day, no backfill noted.
    await ch.command('TRUNCATE TABLE click_days_v1');
    await ch.insert('clicks_v1', [click('c6', 1, 11, '2026-11-03 12:00:00.000')], 'test:clicks:after-view');
    await ch.command('TRUNCATE TABLE backfills_v1');
    await applyClickHouseSchema(ch, readClickHouseDdl(), 'unused', new Date('2026-11-25T10:00:00Z'));
    const filled = await read();
    expect(filled).toEqual(before.map((d) => (d.day === '2026-11-03' ? { ...d, clicks: d.clicks + 1 } : d)));
    // Noted as done: a later start leaves the rollup alone (emptied here, so a second run would show).
    await ch.command('TRUNCATE TABLE click_days_v1');
    await applyClickHouseSchema(ch, readClickHouseDdl(), 'unused', new Date('2026-11-25T10:00:00Z'));
    expect(await read()).toEqual([]);
  });
});
