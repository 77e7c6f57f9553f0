import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app/create-app';
import { readConfig } from '../../src/runtime/config';
import { buildNodeDeps } from '../../src/runtime/node-deps';
import { makeTempDir, removeDir, type ServerProcess, startServer } from '../support/server-process';
import { openTestReportStore, TestClock } from '../support/test-app';

/**
 * /readyz against the real dependencies: the Node composition root's probes over a real SQLite
 * file and chDB (the store refusing writes, the round cached for a second of the clock), and
 * the real server process with its ClickHouse data deleted, or its free-disk threshold above
 * what any disk has. /healthz, liveness, stays 200 throughout.
 */
interface Ready {
  status?: string;
  checks?: Record<string, string>;
  error?: { code: string; message: string };
}

async function readyz(url: string): Promise<{ status: number; body: Ready }> {
  const response = await fetch(`${url}/readyz`);
  return { status: response.status, body: (await response.json()) as Ready };
}

describe('/readyz through the Node composition root', () => {
  const dir = makeTempDir();
  const built = buildNodeDeps(readConfig({ DATA_DIR: dir }), { info: () => {}, error: () => {} });
  const clock = new TestClock();
  built.deps.clock = clock;
  let app: ReturnType<typeof createApp>;

  beforeAll(async () => {
    built.deps.reports = await openTestReportStore();
    app = createApp(built.deps);
  });
  afterAll(async () => {
    const ch = built.deps.reports?.clickhouse;
    await ch?.command(`DROP DATABASE IF EXISTS ${ch.database}`);
    await ch?.close();
    await built.store.close();
    removeDir(dir);
  });

  const get = async () => {
    const response = await app.request('/readyz');
    return { status: response.status, body: (await response.json()) as Ready };
  };

  it('is ready when the store takes a write, the disk has room and ClickHouse reads', async () => {
    expect(await get()).toEqual({
      status: 200,
      body: { status: 'ready', checks: { store: 'ok', disk: 'ok', clickhouse: 'ok' } },
    });
    const probe = built.store.raw.prepare("SELECT value FROM settings WHERE key = 'readiness_probe'").get() as { value: string };
    expect(probe.value).toBe(clock.now().toISOString());
  });

  it('fails naming the store when it refuses writes, after the cached second', async () => {
    clock.advance(1000);
    expect((await get()).status).toBe(200);
    built.store.raw.pragma('query_only = ON'); // reads still work: only a write probe sees it
    try {
      expect((await get()).status).toBe(200); // the same second: the cached round
      clock.advance(1000);
      const { status, body } = await get();
      expect(status).toBe(503);
      expect(body.error?.code).toBe('unavailable');
      // Only the store fails: the message names it and why, and nothing else.
      expect(body.error?.message).toMatch(/^not ready: store \([^;]*(readonly|query_only)[^;]*\)$/i);
      expect((await app.request('/healthz')).status).toBe(200);
    } finally {
      built.store.raw.pragma('query_only = OFF');
    }
    clock.advance(1000);
    expect((await get()).status).toBe(200);
  });
});

describe('/readyz on the real server', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServer({ env: { BATCH_INTERVAL_SECONDS: '0' } });
  });
  afterAll(async () => {
    await server?.kill();
    if (server) removeDir(server.dataDir);
  });

  it('fails naming ClickHouse once its data directory is gone, while /healthz stays 200', async () => {
    expect(await readyz(server.url)).toEqual({
      status: 200,
      body: { status: 'ready', checks: { store: 'ok', disk: 'ok', clickhouse: 'ok' } },
    });
    rmSync(join(server.dataDir, 'clickhouse'), { recursive: true, force: true });
    await new Promise((resolve) => setTimeout(resolve, 1100)); // past the cached round
    const { status, body } = await readyz(server.url);
    expect(status).toBe(503);
    expect(body.error).toEqual({ code: 'unavailable', message: expect.stringMatching(/^not ready: clickhouse \([^;]+\)$/) });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});

describe('/readyz with the disk nearly full', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    // A threshold above any disk's free space: the check trips without filling one.
    server = await startServer({ env: { BATCH_INTERVAL_SECONDS: '0', READY_MIN_FREE_DISK_MB: '1000000000' } });
  });
  afterAll(async () => {
    await server?.kill();
    if (server) removeDir(server.dataDir);
  });

  it('fails naming the disk', async () => {
    const { status, body } = await readyz(server.url);
    expect(status).toBe(503);
    expect(body.error?.message).toMatch(
      /^not ready: disk \(\d+ MB free for DATA_DIR, under READY_MIN_FREE_DISK_MB \(1000000000\)\)$/,
    );
  });
});
