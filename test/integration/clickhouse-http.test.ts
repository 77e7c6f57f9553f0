import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type ClickHouse, ClickHouseError } from '../../src/clickhouse/clickhouse';
import { readClickHouseDdl } from '../../src/clickhouse/ddl-files';
import { type CreateClickHouseClient, openHttpClickHouse } from '../../src/clickhouse/http-driver';
import { applyClickHouseSchema } from '../../src/clickhouse/schema';
import { type ClickHouseHttpEndpoint, startClickHouseHttpEndpoint } from '../support/clickhouse-http-endpoint';
import { orderEvent, sendOrder } from '../support/shop';
import { ADMIN_TOKEN, createTenant, startTestApp, TEST_IP_HEADER, type TestApp } from '../support/test-app';

/**
 * The HTTP driver (`CLICKHOUSE_URL`) against a ClickHouse HTTP interface backed by chDB
 * (test/support/clickhouse-http-endpoint.ts, which lists what it speaks and its limits). This
 * file opens no chDB of its own: the endpoint holds this process's one chDB data directory.
 */
const open = (url: string, database = 'http_test') =>
  openHttpClickHouse({ url, database }, createClient as unknown as CreateClickHouseClient);

let dir: string;
let endpoint: ClickHouseHttpEndpoint;
let ch: ClickHouse;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'clickledger-chhttp-'));
  endpoint = await startClickHouseHttpEndpoint(join(dir, 'chdb'));
  ch = await open(endpoint.url);
});
afterAll(async () => {
  await ch?.close();
  await endpoint?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the HTTP ClickHouse driver', () => {
  it('binds parameters server-side and gets 64-bit integers back quoted, so none loses precision', async () => {
    const rows = await ch.query(
      'SELECT {big:Int64} + 1 AS n, {text:String} AS s, length({ids:Array(UInt64)}) AS k',
      { big: '9007199254740992', text: "it's {not:String} sql", ids: [1, 2, 3] },
      z.object({ n: z.string(), s: z.string(), k: z.coerce.number() }),
    );
    expect(rows).toEqual([{ n: '9007199254740993', s: "it's {not:String} sql", k: 3 }]);
  });

  it('creates its database, inserts JSONEachRow, and drops a block re-sent under the same token', async () => {
    await ch.command(
      'CREATE TABLE IF NOT EXISTS blocks (id UInt64, v Int64) ENGINE = MergeTree ORDER BY id SETTINGS non_replicated_deduplication_window = 100',
    );
    await ch.insert(
      'blocks',
      [
        { id: 1, v: -5 },
        { id: 2, v: 7 },
      ],
      'block-1',
    );
    await ch.insert(
      'blocks',
      [
        { id: 1, v: -5 },
        { id: 2, v: 7 },
      ],
      'block-1',
    );
    await ch.insert('blocks', [{ id: 3, v: 100 }], 'block-2');
    const [total] = await ch.query(
      'SELECT count() AS n, sum(v) AS s FROM blocks',
      {},
      z.object({ n: z.coerce.number(), s: z.coerce.number() }),
    );
    expect(total).toEqual({ n: 3, s: 102 });
  });

  it("classifies ClickHouse's own errors, a cut-off slow query, and an unreachable server", async () => {
    const unknown = await ch.query('SELECT nosuch FROM blocks', {}, z.object({})).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(ClickHouseError);
    expect(unknown).toMatchObject({ failure: 'query', clickhouseCode: 47 });

    const slow = await ch
      .query('SELECT sleepEachRow(0.3) FROM numbers(20) SETTINGS max_block_size = 1', {}, z.object({}), {
        maxExecutionSeconds: 1,
      })
      .catch((e: unknown) => e);
    expect(slow).toMatchObject({ failure: 'timeout', clickhouseCode: 159 });

    const gone = await open('http://127.0.0.1:9').catch((e: unknown) => e);
    expect(gone).toMatchObject({ failure: 'unavailable' });
  });

  it('serves the reports end to end: schema, export, summary', async () => {
    const reportsDb = await open(endpoint.url, 'http_reports');
    const targetId = await applyClickHouseSchema(reportsDb, readClickHouseDdl(), 'http-target', new Date('2026-11-25T00:00:00Z'));
    const t: TestApp = await startTestApp({ reports: { clickhouse: reportsDb, targetId } });
    try {
      const tenant = await createTenant(t, 'Http shop');
      const location = (
        await t.request(`/c/${tenant.link.code}`, {
          headers: { 'user-agent': 'Mozilla/5.0 Chrome/131.0', [TEST_IP_HEADER]: '198.51.100.7' },
        })
      ).headers.get('location')!;
      const clickId = new URL(location).searchParams.get('clid')!;
      t.clock.advance(60_000);
      const placed = await sendOrder(
        t,
        tenant.merchant.webhookSecret,
        orderEvent(tenant.program.id, 'order.paid', { id: 'H-1', clickId }, t.clock.now().toISOString()),
      );
      expect(placed.status).toBe(200);
      const batch = await t.request('/v1/admin/batch', { method: 'POST', key: ADMIN_TOKEN, json: {} });
      expect(((await batch.json()) as { export: unknown }).export).toMatchObject({
        clicks: 1,
        orders: 1,
        ledgerEntries: 1,
        mismatches: 0,
      });
      const report = await t.request('/v1/reports/summary?from=2026-11-25&to=2026-11-25', { key: tenant.merchant.apiKey });
      // 2 × 49.90 − 5.00 = 94.80 at the default 8% = 7.58
      expect(((await report.json()) as { rows: unknown[] }).rows).toEqual([
        expect.objectContaining({
          key: '2026-11-25',
          clicks: 1,
          uniqueClicks: 1,
          orders: 1,
          revenue: '94.80',
          commission: '7.58',
          commissionEstimated: '7.58',
        }),
      ]);
    } finally {
      await t.close();
      await reportsDb.close();
    }
    expect(endpoint.requests).toBeGreaterThan(10);
  });
});
