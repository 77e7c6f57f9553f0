import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, openBrowser } from '../support/browser';
import { startTestApp, type TestApp } from '../support/test-app';

/**
 * `/docs` in chromium with every request off this machine refused: Swagger UI's script and
 * stylesheet come from the service itself (swagger-ui-dist), so the reference renders on a
 * closed network and nothing is asked of a CDN.
 */
describe.skipIf(!hasChromium)('/docs offline', () => {
  let t: TestApp;
  let server: ServerType;
  let base: string;
  let browser: Awaited<ReturnType<typeof openBrowser>>;

  beforeAll(async () => {
    t = await startTestApp();
    server = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await openBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
    await t?.close();
  });

  it('lists the operations with no request leaving the machine', async () => {
    const offMachine: string[] = [];
    await browser.context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(base)) return route.continue();
      offMachine.push(url);
      return route.abort('internetdisconnected');
    });
    const page = await browser.context.newPage();
    const response = await page.goto(`${base}/docs`);
    expect(response?.status()).toBe(200);
    await page.waitForSelector('.opblock', { timeout: 20_000 });
    const operations = await page.$$eval('.opblock-summary-path', (paths) => paths.map((p) => p.getAttribute('data-path')));
    expect(operations).toContain('/v1/orders');
    expect(operations).toContain('/v1/payouts');
    expect(operations.length).toBeGreaterThan(30);
    expect(await page.title()).toBe('clickledger API');
    expect(offMachine).toEqual([]);
  });

  it('serves the stylesheet and script from pinned swagger-ui-dist files', async () => {
    const css = await fetch(`${base}/docs/assets/swagger-ui-dist/swagger-ui.css`);
    expect(css.headers.get('content-type')).toContain('text/css');
    expect((await css.text()).length).toBeGreaterThan(100_000);
    const js = await fetch(`${base}/docs/assets/swagger-ui-dist/swagger-ui-bundle.js`);
    expect(js.headers.get('content-type')).toContain('javascript');
    expect(await js.text()).toContain('SwaggerUIBundle');
    const html = await (await fetch(`${base}/docs`)).text();
    expect(html).not.toMatch(/https?:\/\//);
  });
});
