import { env } from 'cloudflare:test';
import { createD1OrderIntake } from '../../src/store/d1/d1-order-intake';
import { describeOrderIntakeStore } from '../shared/order-intake-store.case';

// The shared suite on the D1 adapter, inside workerd over Miniflare's local D1.
describeOrderIntakeStore('D1', async () => ({
  store: createD1OrderIntake(env.DB, { now: () => new Date('2026-01-06T00:00:00.000Z') }),
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
}));
