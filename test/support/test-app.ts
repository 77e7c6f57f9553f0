import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../src/app/create-app';
import type { AppDeps, ClickSecrets } from '../../src/core/deps';
import { ensureAdminKey } from '../../src/use-cases/api-keys';
import { createSqliteClickRecorder } from '../../src/store/sqlite/sqlite-click-recorder';
import { createSqliteOrderIntake } from '../../src/store/sqlite/sqlite-order-intake';
import { openSqlite, type SqliteStore } from '../../src/store/sqlite/sqlite-open';
import { nodeCrypto } from '../../src/runtime/node-crypto';
import { nodeAssets } from '../../src/runtime/node-assets';
import { openChdb } from '../../src/clickhouse/chdb-driver';
import { readClickHouseDdl } from '../../src/clickhouse/ddl-files';
import { applyClickHouseSchema } from '../../src/clickhouse/schema';
import type { ReportStore } from '../../src/clickhouse/clickhouse';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
export const TEST_IP_HEADER = 'x-test-client-ip';

export const testClickSecrets: ClickSecrets = {
  signingKeyId: 2,
  keys: new Map([
    [2, new TextEncoder().encode('current-signing-secret-for-tests-0123456789')],
    [1, new TextEncoder().encode('previous-signing-secret-for-tests-987654321')],
  ]),
  visitorKey: new TextEncoder().encode('visitor-key-for-tests'),
};

/** A clock the test moves by hand. */
export class TestClock {
  constructor(public current = new Date('2026-11-25T10:00:00.000Z')) {}
  now() {
    return new Date(this.current.getTime());
  }
  advance(ms: number) {
    this.current = new Date(this.current.getTime() + ms);
  }
}

export interface TestApp {
  app: ReturnType<typeof createApp>;
  deps: AppDeps;
  store: SqliteStore;
  clock: TestClock;
  dir: string;
  request(path: string, init?: RequestInit & { json?: unknown; key?: string }): Promise<Response>;
  close(): Promise<void>;
}

/**
 * The real app over a real SQLite file in a temp dir, driven through app.request(). The client
 * IP comes from a test header (there is no socket), everything else is the production code.
 */
export async function startTestApp(overrides: Partial<AppDeps> = {}, options: { clickhouse?: boolean } = {}): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'clickledger-test-'));
  const reports = options.clickhouse ? await openTestReportStore() : undefined;
  const store = openSqlite({ path: join(dir, 'clickledger.sqlite'), synchronous: 'NORMAL' });
  const clock = new TestClock();
  const logs: string[] = [];
  const deps: AppDeps = {
    db: store.db,
    clicks: createSqliteClickRecorder(store.raw),
    orderIntake: createSqliteOrderIntake(store.db, store.sync, clock),
    writes: store.writes,
    rows: store.rows,
    clock,
    crypto: nodeCrypto,
    clickSecrets: testClickSecrets,
    config: { publicUrl: 'https://go.clickledger.test', bodyLimitBytes: 1024 * 1024 },
    clientIp: (c) => c.req.header(TEST_IP_HEADER) ?? '203.0.113.9',
    country: (c) => c.req.header('cf-ipcountry') ?? '',
    defer: () => {},
    log: { info: (m) => logs.push(m), error: (m, f) => logs.push(`${m} ${JSON.stringify(f)}`) },
    healthy: async () => true,
    assets: nodeAssets(),
    ...(reports ? { reports } : {}),
    ...overrides,
  };
  await ensureAdminKey(deps, ADMIN_TOKEN);
  const app = createApp(deps);
  return {
    app,
    deps,
    store,
    clock,
    dir,
    request(path, init = {}) {
      const { json, key, headers, ...rest } = init;
      const h = new Headers(headers);
      if (key) h.set('authorization', `Bearer ${key}`);
      let body = rest.body;
      if (json !== undefined) {
        h.set('content-type', 'application/json');
        body = JSON.stringify(json);
      }
      return Promise.resolve(app.request(path, { ...rest, headers: h, body }));
    },
    async close() {
      if (reports) {
        await reports.clickhouse.command(`DROP DATABASE IF EXISTS ${reports.clickhouse.database}`);
        await reports.clickhouse.close();
      }
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * chDB holds one data directory per process, so every test app of a worker process shares one,
 * each in a database of its own.
 */
const chdbPath = join(tmpdir(), `clickledger-chdb-${process.pid}`);
let databases = 0;

export async function openTestReportStore(database = `t_${process.pid}_${++databases}`): Promise<ReportStore> {
  const clickhouse = openChdb({ path: chdbPath, database });
  const targetId = await applyClickHouseSchema(
    clickhouse,
    readClickHouseDdl(),
    `target-${database}`,
    new Date('2026-11-25T10:00:00Z'),
  );
  return { clickhouse, targetId };
}

export const defaultPlan = { default: { percent: '8' } };

export interface Tenant {
  merchant: { id: string; apiKey: string; webhookSecret: string };
  affiliate: { id: string; apiKey: string };
  program: { id: string };
  link: { code: string; trackingUrl: string; id: string };
}

async function ok<T>(response: Response, status = 201): Promise<T> {
  if (response.status !== status) throw new Error(`expected ${status}, got ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

export async function createMerchant(t: TestApp, name = 'Shop') {
  return ok<Tenant['merchant']>(await t.request('/v1/merchants', { method: 'POST', key: ADMIN_TOKEN, json: { name } }));
}

export async function createAffiliate(t: TestApp, name = 'Affiliate', extra: Record<string, unknown> = {}) {
  return ok<Tenant['affiliate']>(
    await t.request('/v1/affiliates', { method: 'POST', key: ADMIN_TOKEN, json: { name, ...extra } }),
  );
}

export async function createProgram(t: TestApp, merchantKey: string, extra: Record<string, unknown> = {}) {
  return ok<{ id: string }>(
    await t.request('/v1/programs', {
      method: 'POST',
      key: merchantKey,
      json: {
        name: 'Spring',
        landingUrl: 'https://shop.example/landing?utm_source=aff#top',
        allowedDomains: ['shop.example', 'www.shop.example'],
        currency: 'EUR',
        cookieDays: 30,
        lockDays: 14,
        plan: defaultPlan,
        ...extra,
      },
    }),
  );
}

export async function approve(t: TestApp, merchantKey: string, programId: string, affiliateId: string) {
  return ok(
    await t.request(`/v1/programs/${programId}/affiliates`, { method: 'POST', key: merchantKey, json: { affiliateId } }),
    200,
  );
}

export async function createLink(t: TestApp, affiliateKey: string, body: Record<string, unknown>) {
  return ok<Tenant['link']>(await t.request('/v1/links', { method: 'POST', key: affiliateKey, json: body }));
}

/** A merchant with one program, one approved affiliate and one link. */
export async function createTenant(t: TestApp, name = 'Shop'): Promise<Tenant> {
  const merchant = await createMerchant(t, name);
  const affiliate = await createAffiliate(t, `${name} affiliate`);
  const program = await createProgram(t, merchant.apiKey);
  await approve(t, merchant.apiKey, program.id, affiliate.id);
  const link = await createLink(t, affiliate.apiKey, { programId: program.id });
  return { merchant, affiliate, program, link };
}
