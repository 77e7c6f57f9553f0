import { SELF } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { seed } from './seed';

/**
 * The dashboards inside workerd: the same pages, session cookie and CSRF check run on the
 * Workers entry over D1 (the browser tests run them on Node), and the chart comes from the
 * assets binding (wrangler.toml `[assets]`).
 */
let MERCHANT_KEY: string;

describe('the dashboards inside workerd', () => {
  beforeAll(async () => {
    MERCHANT_KEY = (await seed()).merchantKey;
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

  it('serves Chart.js from the assets binding, the same file Node serves from node_modules', async () => {
    const response = await SELF.fetch('https://go.example.com/app/assets/chart.js');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('javascript');
    const text = await response.text();
    expect(text.length).toBeGreaterThan(100_000);
    expect(text).toContain('Chart.js v4.6.1');
    // The rest of the assets directory is not served: the Worker answers every path first.
    expect((await SELF.fetch('https://go.example.com/chart.js')).status).toBe(404);
  });

  it('serves /docs with Swagger UI from the assets binding, nothing from a CDN', async () => {
    const html = await (await SELF.fetch('https://go.example.com/docs')).text();
    expect(html).toContain('/docs/assets/swagger-ui-dist/swagger-ui-bundle.js');
    expect(html).not.toMatch(/https?:\/\//);
    const script = await SELF.fetch('https://go.example.com/docs/assets/swagger-ui-dist/swagger-ui-bundle.js');
    expect(script.status).toBe(200);
    expect(await script.text()).toContain('SwaggerUIBundle');
    const css = await SELF.fetch('https://go.example.com/docs/assets/swagger-ui-dist/swagger-ui.css');
    expect([css.status, css.headers.get('content-type')]).toEqual([200, 'text/css; charset=utf-8']);
  });
});
