import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startTestApp, type TestApp } from '../support/test-app';

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(async () => {
  await t.close();
});

const LIMIT = 1024 * 1024;
const merchants = () => (t.store.raw.prepare('SELECT COUNT(*) AS n FROM merchants').get() as { n: number }).n;

function oversizedName(bytes: number) {
  return JSON.stringify({ name: 'x'.repeat(bytes) });
}

describe('oversized bodies get 413 before any handler work (P23)', () => {
  it('refuses by Content-Length', async () => {
    const response = await t.request('/v1/merchants', {
      method: 'POST',
      key: ADMIN_TOKEN,
      headers: { 'content-type': 'application/json' },
      body: oversizedName(LIMIT + 10),
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({
      error: { code: 'payload_too_large', message: `the body is larger than ${LIMIT} bytes` },
    });
    expect(merchants()).toBe(0);
  });

  it('refuses a chunked body without Content-Length once it passes the limit', async () => {
    let sent = 0;
    const chunk = new TextEncoder().encode('x'.repeat(64 * 1024));
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"name":"'));
      },
      pull(controller) {
        // Would go on for 64 MiB if the server kept reading.
        if (sent > 64 * LIMIT) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const response = await t.app.request('/v1/merchants', {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(sent).toBeLessThan(2 * LIMIT);
    expect(merchants()).toBe(0);
  });

  it('refuses before authentication, so an unauthenticated flood costs nothing', async () => {
    const response = await t.request('/v1/merchants', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: oversizedName(LIMIT + 1),
    });
    expect(response.status).toBe(413);
  });

  it('accepts a body just under the limit', async () => {
    const response = await t.request('/v1/merchants', { method: 'POST', key: ADMIN_TOKEN, json: { name: 'ok' } });
    expect(response.status).toBe(201);
  });
});
