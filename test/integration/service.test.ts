import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, readConfig } from '../../src/runtime/config';
import { startTestApp, type TestApp } from '../support/test-app';

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(async () => {
  await t.close();
});

describe('the service surface', () => {
  it('answers /healthz with 200 when the store is open and 503 when it is not', async () => {
    expect(await (await t.request('/healthz')).json()).toEqual({ status: 'ok' });
    const down = await startTestApp({ healthy: async () => false });
    try {
      const response = await down.request('/healthz');
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ error: { code: 'unavailable', message: 'the store is not available' } });
    } finally {
      await down.close();
    }
  });

  it('publishes an OpenAPI 3.1 document where every authenticated operation documents its errors', async () => {
    const doc = (await (await t.request('/openapi.json')).json()) as {
      openapi: string;
      paths: Record<
        string,
        Record<
          string,
          { security?: unknown[]; responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }> }
        >
      >;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.schemas).toHaveProperty('Error');
    expect(doc.components.schemas).toHaveProperty('CommissionPlan');
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const statuses = Object.keys(operation.responses);
        expect(
          statuses.some((s) => s.startsWith('4') || s.startsWith('5')),
          `${method} ${path}`,
        ).toBe(true);
        // Public operations say so with an empty list (security: []); the others name the bearer key.
        expect(operation.security, `${method} ${path}`).toBeDefined();
        if (operation.security!.length > 0) expect(statuses, `${method} ${path}`).toEqual(expect.arrayContaining(['401', '403']));
        for (const status of statuses.filter((s) => s >= '400')) {
          expect(operation.responses[status]!.content!['application/json']!.schema.$ref).toBe('#/components/schemas/Error');
        }
      }
    }
  });

  it('serves the API reference page at /docs', async () => {
    const response = await t.request('/docs');
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('/openapi.json');
  });

  it('answers unknown routes with the error envelope', async () => {
    const response = await t.request('/v1/nothing-here');
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: 'not_found', message: 'no route for GET /v1/nothing-here' } });
  });
});

describe('configuration', () => {
  it('uses the embedded defaults when nothing is set', () => {
    expect(readConfig({})).toMatchObject({ PORT: 8787, DATA_DIR: './data', SQLITE_SYNCHRONOUS: 'NORMAL', TRUST_PROXY: false });
    expect(readConfig({})).toMatchObject({
      HEADERS_TIMEOUT_SECONDS: 20,
      REQUEST_TIMEOUT_SECONDS: 30,
      KEEP_ALIVE_TIMEOUT_SECONDS: 5,
      MAX_CONNECTIONS: 8192,
      AUTH_FAILURE_LIMIT: 20,
      AUTH_FAILURE_WINDOW_SECONDS: 60,
      READY_MIN_FREE_DISK_MB: 256,
    });
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ ADMIN_TOKEN: 'short' }, 'ADMIN_TOKEN'],
    [{ PUBLIC_URL: 'ftp://x' }, 'PUBLIC_URL'],
    [{ SQLITE_SYNCHRONOUS: 'OFF' }, 'SQLITE_SYNCHRONOUS'],
    [{ DATABASE_URL: 'mysql://db/x' }, 'DATABASE_URL'],
    [{ DATABASE_POOL_SIZE: '1' }, 'DATABASE_POOL_SIZE'],
    [{ TRUST_PROXY: 'yes' }, 'TRUST_PROXY'],
    [{ CLICK_SIGNING_KEYS: '1:short' }, 'CLICK_SIGNING_KEYS'],
    [{ REQUEST_TIMEOUT_SECONDS: '0' }, 'REQUEST_TIMEOUT_SECONDS'],
    [{ HEADERS_TIMEOUT_SECONDS: '40' }, 'HEADERS_TIMEOUT_SECONDS'], // longer than the request's 30 s
    [{ KEEP_ALIVE_TIMEOUT_SECONDS: 'soon' }, 'KEEP_ALIVE_TIMEOUT_SECONDS'],
    [{ MAX_CONNECTIONS: '0' }, 'MAX_CONNECTIONS'],
    [{ AUTH_FAILURE_LIMIT: '1.5' }, 'AUTH_FAILURE_LIMIT'],
    [{ AUTH_FAILURE_WINDOW_SECONDS: '0' }, 'AUTH_FAILURE_WINDOW_SECONDS'],
    [{ READY_MIN_FREE_DISK_MB: '-1' }, 'READY_MIN_FREE_DISK_MB'],
  ])('stops on %j naming %s', (env, name) => {
    expect(() => readConfig(env)).toThrow(ConfigError);
    expect(() => readConfig(env)).toThrow(new RegExp(`^invalid configuration:\\n  ${name}: `));
  });
});
