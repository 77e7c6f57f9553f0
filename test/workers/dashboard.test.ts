import { env, SELF } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { seed } from './seed';

/**
 * The dashboards inside workerd: the same pages, session cookie and CSRF check run on the
 * Workers entry over D1 (the browser tests run them on Node). Chart.js has no asset reader on
 * Workers yet, so there the pages render without the chart.
 */
const MERCHANT_KEY = 'cl_mer_workers-dashboard-key-0123456789';
const NOW = '2026-01-01T00:00:00.000Z';

async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

describe('the dashboards inside workerd', () => {
  beforeAll(async () => {
    await seed();
    await env.DB.prepare(
      `INSERT OR IGNORE INTO api_keys (key_hash, key_prefix, role, merchant_id, affiliate_id, created_at) VALUES (?, ?, 'merchant', 1, NULL, ?)`,
    )
      .bind(await sha256Hex(MERCHANT_KEY), MERCHANT_KEY.slice(0, 12), NOW)
      .run();
  });

  it('signs a merchant in with a Secure, HttpOnly, SameSite=Strict cookie and shows its orders page', async () => {
    const login = await SELF.fetch('https://go.example.com/app/login');
    expect(login.status).toBe(200);
    const loginCookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(await login.text())![1]!;

    const refused = await SELF.fetch('https://go.example.com/app/login', {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: loginCookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf: 'forged', apiKey: MERCHANT_KEY }),
    });
    expect(refused.status).toBe(403);

    const signedIn = await SELF.fetch('https://go.example.com/app/login', {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: loginCookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf, apiKey: MERCHANT_KEY }),
    });
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get('location')).toBe('/app/merchant');
    const cookie = signedIn.headers.getSetCookie().find((c) => c.startsWith('cl_session='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Secure/);

    const orders = await SELF.fetch('https://go.example.com/app/merchant/orders?from=2026-01-01&to=2026-01-31', {
      headers: { cookie: cookie.split(';')[0]! },
    });
    expect(orders.status).toBe(200);
    const html = await orders.text();
    expect(html).toContain('<h1>Orders</h1>');
    expect(html).toContain('No orders.');
  });
});
