import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickRecorder, ClickToRecord } from '../../src/store/click-recorder';
import { createPostgresClickRecorder } from '../../src/store/postgres/postgres-click-recorder';
import { openPostgres, type PostgresStore } from '../../src/store/postgres/postgres-open';
import { hasPostgres, postgresForFile, postgresSkipReason } from '../support/postgres-cluster';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
let clicks = 0;
function click(visitor: string, atMs: number, extra: Partial<ClickToRecord> = {}): ClickToRecord {
  return {
    clickId: `c${++clicks}-${Math.random().toString(36).slice(2, 8)}`,
    linkId: 1,
    programId: 1,
    affiliateId: 1,
    clickedAt: new Date(atMs).toISOString(),
    ipHash: 'ip',
    visitorHash: visitor,
    userAgent: `agent ${clicks % 3}`,
    browser: 'Firefox',
    os: 'Linux',
    device: 'desktop',
    isBot: false,
    country: 'DE',
    refererHost: '',
    subIds: { sub1: 'a' },
    paidSearchParam: null,
    ...extra,
  };
}

// Group-committed clicks on PostgreSQL, and the unique flag (P13) decided alike by two
// "instances" (two pools, two recorders) writing to one database at once.
describe.skipIf(!hasPostgres)(`PostgreSQL click recorder${postgresSkipReason ? ` (${postgresSkipReason})` : ''}`, () => {
  const postgres = postgresForFile(afterAll);
  let a: PostgresStore;
  let b: PostgresStore;
  let one: ClickRecorder;
  let two: ClickRecorder;
  beforeAll(async () => {
    const url = await postgres.database();
    [a, b] = await Promise.all([openPostgres({ url, maxConnections: 4 }), openPostgres({ url, maxConnections: 4 })]);
    one = createPostgresClickRecorder(a.pool);
    two = createPostgresClickRecorder(b.pool);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('counts one unique click per visitor and hour across both instances, bots never', async () => {
    // 40 visitors, each clicking 6 times within the hour, the clicks split between the instances.
    const sent: Promise<{ unique: boolean | null }>[] = [];
    for (let v = 0; v < 40; v++) {
      for (let k = 0; k < 6; k++) sent.push((k % 2 ? two : one).record(click(`v${v}`, T0 + k * 60_000)));
    }
    sent.push(one.record(click('bot', T0, { isBot: true })), two.record(click('bot', T0 + 1, { isBot: true })));
    const results = await Promise.all(sent);
    expect(results.filter((r) => r.unique === true)).toHaveLength(40);
    const rows = await a.pool.query<{ visitor_hash: string; n: number; uniques: number }>(
      `SELECT visitor_hash, count(*) AS n, sum(is_unique) AS uniques FROM clicks GROUP BY visitor_hash ORDER BY visitor_hash`,
    );
    expect(rows.rows).toHaveLength(41);
    expect(rows.rows.find((r) => r.visitor_hash === 'bot')).toEqual({ visitor_hash: 'bot', n: 2, uniques: 0 });
    expect(rows.rows.filter((r) => r.visitor_hash !== 'bot').every((r) => r.n === 6 && r.uniques === 1)).toBe(true);
    // Every acknowledged click is a row, with its agent stored once.
    const agents = await a.pool.query<{ n: number }>('SELECT count(*) AS n FROM user_agents');
    expect(agents.rows[0]!.n).toBe(3);
  });

  it('counts the visitor again an hour after the counted click, and a late click as a repeat', async () => {
    expect((await one.record(click('w', T0))).unique).toBe(true);
    expect((await two.record(click('w', T0 + 59 * 60_000))).unique).toBe(false);
    expect((await two.record(click('w', T0 + 60 * 60_000))).unique).toBe(true);
    // Older than the stored unique click: a repeat, and the stored time does not move back.
    expect((await one.record(click('w', T0 + 30 * 60_000))).unique).toBe(false);
    expect((await one.record(click('w', T0 + 120 * 60_000))).unique).toBe(true);
  });

  it('commits the rest of a group when one click is refused, and refuses that one', async () => {
    const dup = click('x', T0);
    const results = await Promise.allSettled([
      one.record(dup),
      one.record({ ...dup }), // the same click id twice: the unique index refuses the second
      one.record(click('y', T0)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const ids = await a.pool.query('SELECT 1 FROM clicks WHERE click_id = $1', [dup.clickId]);
    expect(ids.rowCount).toBe(1);
    await one.flush();
  });
});
