import { createExecutionContext, env, SELF } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import worker from '../../src/runtime/worker';
import { seed } from './seed';

let linkCode: string;

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';

async function clickRow(clickId: string, timeoutMs = 15_000) {
  // The queue consumer runs on its own schedule (max_batch_timeout): poll D1 until it has written.
  const until = Date.now() + timeoutMs;
  for (;;) {
    const row = await env.DB.prepare('SELECT * FROM clicks WHERE click_id = ?').bind(clickId).first<Record<string, unknown>>();
    if (row || Date.now() > until) return row;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('the tracked redirect inside workerd', () => {
  beforeAll(async () => {
    linkCode = (await seed()).linkCode;
  });

  it('answers 302 with a signed click id and the click cookie, and the queue consumer writes the click to D1', async () => {
    const response = await SELF.fetch(`https://go.example.com/c/${linkCode}?sub1=mail`, {
      redirect: 'manual',
      headers: { 'user-agent': CHROME, 'cf-connecting-ip': '203.0.113.7', referer: 'https://blog.example/post' },
      cf: { country: 'DE' },
    });
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location')!);
    expect(location.origin + location.pathname).toBe('https://shop.example/');
    const clickId = location.searchParams.get('clid')!;
    expect(clickId).toMatch(/^[A-Za-z0-9_-]{30,}$/);
    expect(response.headers.get('set-cookie')).toContain(
      `clid=${clickId}; Max-Age=2592000; Path=/; HttpOnly; SameSite=Lax; Secure`,
    );

    const row = await clickRow(clickId);
    expect(row).toMatchObject({
      link_id: 1,
      program_id: 1,
      affiliate_id: 1,
      country: 'DE',
      referer_host: 'blog.example',
      sub1: 'mail',
      is_bot: 0,
      is_unique: 1,
    });
    // The raw IP never reaches the store, only its keyed hash.
    expect(JSON.stringify(row)).not.toContain('203.0.113.7');
  });

  it('counts a repeat click of the same visitor within the hour once, and a HEAD as a bot', async () => {
    const headers = { 'user-agent': CHROME, 'cf-connecting-ip': '198.51.100.9' };
    const ids: string[] = [];
    for (const method of ['GET', 'GET', 'HEAD']) {
      const response = await SELF.fetch(`https://go.example.com/c/${linkCode}`, { method, redirect: 'manual', headers });
      expect(response.status).toBe(302);
      ids.push(new URL(response.headers.get('location')!).searchParams.get('clid')!);
    }
    const rows = await Promise.all(ids.map((id) => clickRow(id)));
    expect(rows.map((r) => [r?.is_unique, r?.is_bot])).toEqual([
      [1, 0],
      [0, 0],
      [0, 1],
    ]);
  });

  it('answers an unknown code with 404 in the one error shape', async () => {
    const response = await SELF.fetch('https://go.example.com/c/nosuchcode');
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: 'not_found', message: 'link not found' } });
  });

  it('is healthy when D1 answers', async () => {
    const response = await SELF.fetch('https://go.example.com/healthz');
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('is ready when D1 reads (no ClickHouse bound, so none checked)', async () => {
    const response = await SELF.fetch('https://go.example.com/readyz');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ready', checks: { store: 'ok' } });
  });

  it('answers 500 in the one error shape, naming nothing secret, when a binding or secret is missing', async () => {
    const { CLICK_SIGNING_KEYS: _missing, ...incomplete } = env;
    const response = await worker.fetch(
      new Request(`https://go.example.com/c/${linkCode}`),
      incomplete,
      createExecutionContext(),
    );
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: { code: 'internal', message: 'the service is misconfigured' } });
  });
});
