import { createExecutionContext, createMessageBatch, env, getQueueResult } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import worker from '../../src/runtime/worker';
import type { ClickToRecord } from '../../src/store/click-recorder';
import type { ClickMessage } from '../../src/store/d1/d1-click-recorder';
import { seed } from './seed';

function click(clickId: string, overrides: Partial<ClickToRecord> = {}): ClickToRecord {
  return {
    clickId,
    linkId: 1,
    programId: 1,
    affiliateId: 1,
    clickedAt: '2026-03-01T12:00:00.000Z',
    ipHash: 'ip-hash',
    visitorHash: 'visitor-queue',
    userAgent: 'Mozilla/5.0',
    browser: 'Firefox',
    os: 'Linux',
    device: 'desktop',
    isBot: false,
    country: 'FR',
    refererHost: '',
    subIds: { sub2: 'q' },
    paidSearchParam: null,
    ...overrides,
  };
}

const message = (id: string, body: ClickMessage, attempts = 1) => ({ id, timestamp: new Date(), attempts, body });

async function consume(messages: ReturnType<typeof message>[]) {
  const batch = createMessageBatch<ClickMessage>('clickledger-clicks', messages);
  const ctx = createExecutionContext();
  await worker.queue(batch, env);
  return getQueueResult(batch, ctx);
}

describe('the click queue consumer', () => {
  beforeAll(seed); // link, program and affiliate 1

  it('writes a batch with one row per click id, a redelivered message changing nothing, and acks every message', async () => {
    const result = await consume([
      message('m1', { v: 1, click: click('q-click-1') }),
      message('m2', { v: 1, click: click('q-click-2', { clickedAt: '2026-03-01T12:10:00.000Z' }) }),
      message('m3', { v: 1, click: click('q-click-1') }, 2),
    ]);
    expect(result.explicitAcks.sort()).toEqual(['m1', 'm2', 'm3']);
    expect(result.retryMessages).toEqual([]);
    const rows = await env.DB.prepare(
      "SELECT click_id, is_unique, sub2, (SELECT user_agent FROM user_agents WHERE id = user_agent_id) AS user_agent FROM clicks WHERE click_id LIKE 'q-click-%' ORDER BY click_id",
    ).all();
    // The second click of the same visitor on the same link within the hour is not unique (P13).
    expect(rows.results).toEqual([
      { click_id: 'q-click-1', is_unique: 1, sub2: 'q', user_agent: 'Mozilla/5.0' },
      { click_id: 'q-click-2', is_unique: 0, sub2: 'q', user_agent: 'Mozilla/5.0' },
    ]);
  });

  it('counts a visitor once per hour from the counted click: repeats do not extend the hour (P13)', async () => {
    const at = (minutes: number) => new Date(Date.parse('2026-03-02T12:00:00.000Z') + minutes * 60_000).toISOString();
    const hourly = (n: number, minutes: number) => click(`q-hour-${n}`, { visitorHash: 'hourly', clickedAt: at(minutes) });
    // In two queue batches, as clicks spread over an hour arrive.
    await consume([message('h1', { v: 1, click: hourly(1, 0) }), message('h2', { v: 1, click: hourly(2, 30) })]);
    await consume([
      message('h3', { v: 1, click: hourly(3, 59) }),
      message('h4', { v: 1, click: hourly(4, 61) }),
      message('h5', { v: 1, click: hourly(5, 90) }),
    ]);
    const rows = await env.DB.prepare("SELECT is_unique FROM clicks WHERE click_id LIKE 'q-hour-%' ORDER BY click_id").all();
    expect(rows.results.map((r) => r.is_unique)).toEqual([1, 0, 0, 1, 0]);
  });

  it('still counts one click in the hour when a batch arrives late, and a redelivered old click moves nothing (P13)', async () => {
    const at = (minutes: number) => new Date(Date.parse('2026-03-03T12:00:00.000Z') + minutes * 60_000).toISOString();
    const late = (n: number, minutes: number) => click(`q-late-${n}`, { visitorHash: 'late', clickedAt: at(minutes) });
    await consume([message('l2', { v: 1, click: late(2, 10) })]);
    await consume([message('l1', { v: 1, click: late(1, 0) })]); // delivered after the click 10 min later
    await consume([message('l3', { v: 1, click: late(3, 75) })]); // 65 min after the counted click
    await consume([message('l2', { v: 1, click: late(2, 10) }, 2)]); // the older counted click redelivered: 75 stays
    await consume([message('l4', { v: 1, click: late(4, 100) })]); // 25 min after the one counted at 75
    const rows = await env.DB.prepare("SELECT is_unique FROM clicks WHERE click_id LIKE 'q-late-%' ORDER BY click_id").all();
    expect(rows.results.map((r) => r.is_unique)).toEqual([0, 1, 1, 0]);
    const kept = await env.DB.prepare("SELECT clicked_at FROM unique_visitors WHERE visitor_hash = 'late'").first();
    expect(kept).toEqual({ clicked_at: at(75) });
  });

  it('retries only the message whose row cannot be written; the rest of its batch is stored and acked', async () => {
    const result = await consume([
      message('ok', { v: 1, click: click('q-click-3', { visitorHash: 'other' }) }),
      // A NOT NULL column without a value: D1 refuses the row, so batch() refuses the batch.
      message('bad', { v: 1, click: click('q-click-4', { userAgent: null as unknown as string }) }),
    ]);
    expect(result.explicitAcks).toEqual(['ok']);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(['bad']);
    const stored = await env.DB.prepare("SELECT click_id FROM clicks WHERE click_id IN ('q-click-3', 'q-click-4')").all();
    expect(stored.results).toEqual([{ click_id: 'q-click-3' }]);
  });

  it('retries a message it cannot read instead of dropping it (it ends in the dead-letter queue)', async () => {
    const result = await consume([
      message('future', { v: 2, click: click('q-click-5') } as unknown as ClickMessage),
      message('fine', { v: 1, click: click('q-click-6', { visitorHash: 'third' }) }),
    ]);
    expect(result.explicitAcks).toEqual(['fine']);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(['future']);
  });
});
