import { createScheduledController, env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import worker from '../../src/runtime/worker';
import { createD1OrderIntake } from '../../src/store/d1/d1-order-intake';
import { d1RowReader } from '../../src/store/d1/d1-row-reader';
import type { D1Database } from '../../src/store/d1/d1-types';
import { d1AtomicWrites } from '../../src/store/d1/d1-atomic-writes';
import { openD1 } from '../../src/store/d1/d1-open';
import { describeCommissionBatch } from '../shared/commission-batch.case';
import { ADMIN_TOKEN, call } from './api';

// The shared batch suite on D1: each chunk commits with one batch(), ledger rows as JSON.
describeCommissionBatch('D1', async () => {
  // The real local D1, each batch() counted on its way through.
  const statementsPerCommit: number[] = [];
  const counted: D1Database = {
    prepare: (sql) => env.DB.prepare(sql),
    exec: (sql) => env.DB.exec(sql),
    batch: (statements) => {
      statementsPerCommit.push(statements.length);
      return env.DB.batch(statements);
    },
  };
  return {
    statementsPerCommit,
    db: openD1(env.DB),
    writes: d1AtomicWrites(counted),
    rows: d1RowReader(env.DB),
    intake: createD1OrderIntake(env.DB, { now: () => new Date('2026-01-04T00:00:00.000Z') }),
    run: async (sql, ...params) =>
      void (await env.DB.prepare(sql)
        .bind(...params)
        .run()),
    all: async <T>(sql: string, ...params: unknown[]) =>
      (
        await env.DB.prepare(sql)
          .bind(...params)
          .all<T>()
      ).results,
  };
});

describe('the scheduled handler', () => {
  it('runs the commission batch as of the trigger time and saves its watermark', async () => {
    const scheduledTime = Date.parse('2026-02-01T00:00:00.000Z');
    await worker.scheduled(createScheduledController({ scheduledTime, cron: '* * * * *' }) as never, env);
    const lastAsOf = await env.DB.prepare("SELECT value FROM settings WHERE key = 'commission_last_as_of'").first();
    expect(lastAsOf).toEqual({ value: '2026-02-01T00:00:00.000Z' });
  });

  it('skips while another run holds the lease, and runs once the lease has lapsed', async () => {
    const asOf = async () =>
      (await env.DB.prepare("SELECT value FROM settings WHERE key = 'commission_last_as_of'").first<{ value: string }>())?.value;
    const before = await asOf();
    const scheduledTime = Date.parse('2026-02-02T00:00:00.000Z');
    // Another isolate's run, started just now.
    await env.DB.prepare("INSERT INTO settings (key, value) VALUES ('commission_batch_lease', ?)")
      .bind(`${new Date().toISOString()} other`)
      .run();
    await worker.scheduled(createScheduledController({ scheduledTime, cron: '* * * * *' }) as never, env);
    expect(await asOf()).toBe(before);
    // The same holder, crashed 16 minutes ago: its lease has lapsed.
    const lapsed = new Date(Date.now() - 16 * 60 * 1000).toISOString();
    await env.DB.prepare("UPDATE settings SET value = ? WHERE key = 'commission_batch_lease'").bind(`${lapsed} other`).run();
    await worker.scheduled(createScheduledController({ scheduledTime, cron: '* * * * *' }) as never, env);
    expect(await asOf()).toBe('2026-02-02T00:00:00.000Z');
    // Released when the run ended.
    expect(await env.DB.prepare("SELECT value FROM settings WHERE key = 'commission_batch_lease'").first()).toBeNull();
  });

  it('the admin route takes the same lease: 409 while a run holds it, a run once it is free', async () => {
    await env.DB.prepare("INSERT INTO settings (key, value) VALUES ('commission_batch_lease', ?)")
      .bind(`${new Date().toISOString()} cron`)
      .run();
    const refused = await call('/v1/admin/batch', { key: ADMIN_TOKEN, json: {} });
    expect(refused).toEqual({
      status: 409,
      body: { error: { code: 'conflict', message: 'another batch run is in progress; try again when it ends' } },
    });
    await env.DB.prepare("DELETE FROM settings WHERE key = 'commission_batch_lease'").run();
    const ran = await call<{ asOf: string }>('/v1/admin/batch', { key: ADMIN_TOKEN, json: {} });
    expect(ran.status).toBe(200);
    expect(await env.DB.prepare("SELECT value FROM settings WHERE key = 'commission_last_as_of'").first()).toEqual({
      value: ran.body.asOf,
    });
    expect(await env.DB.prepare("SELECT value FROM settings WHERE key = 'commission_batch_lease'").first()).toBeNull();
  });
});
