import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoAccounts } from '../../src/demo/demo-month';
import { hasChromium, openBrowser } from '../support/browser';
import { startDemoApp } from '../support/demo-app';
import type { TestApp } from '../support/test-app';

/**
 * Every dashboard page, for each role, at 1400 px and on a 390 px phone: axe-core (injected
 * directly with addScriptTag: @axe-core/playwright wants Node 22.12+, and this project runs on
 * Node 20 too) reports no serious or critical violation, the page does not scroll sideways on the
 * phone (tables scroll inside their card), and a screenshot of each is kept in
 * test-results/dashboards/pages/.
 */
const SHOTS = 'test-results/dashboards/pages';
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const WIDTHS = [1400, 390] as const;

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

async function seriousViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, o: unknown): Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations;
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join('; ')}`);
}

describe.skipIf(!hasChromium)('dashboards: accessibility and layout of every page', { timeout: 300_000 }, () => {
  let t: TestApp;
  let accounts: DemoAccounts;
  let server: ServerType;
  let base: string;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    ({ t, accounts } = await startDemoApp());
    server = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }, 180_000);

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await t?.close();
  });

  async function firstId(key: string, path: string, field: string): Promise<string> {
    const body = (await (await t.request(path, { key })).json()) as Record<string, { id: string }[]>;
    return body[field]![0]!.id;
  }

  async function check(role: string, apiKey: string | undefined, pages: string[]) {
    for (const width of WIDTHS) {
      const browser = await openBrowser({ viewport: { width, height: 900 }, bypassCSP: true });
      try {
        const page = await browser.context.newPage();
        if (apiKey) {
          await page.goto(`${base}/app/login`);
          await page.getByRole('textbox', { name: 'API key' }).fill(apiKey);
          await page.getByRole('button', { name: 'Sign in' }).click();
          await page.waitForURL((url) => !url.pathname.endsWith('/login'));
        }
        for (const path of pages) {
          const response = await page.goto(`${base}${path}`);
          expect(response?.status(), path).toBeLessThan(path.includes('missing') ? 500 : 300);
          await page.waitForLoadState('load');
          expect(await seriousViolations(page), `${role} ${path} at ${width} px`).toEqual([]);
          expect(await page.evaluate(() => document.documentElement.scrollWidth), `${path} at ${width} px`).toBeLessThanOrEqual(
            width,
          );
          const name = `${role}${path.replace(/[/?=&]+/g, '-')}-${width}`.replace(/-+$/, '');
          await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
        }
      } finally {
        await browser.close();
      }
    }
  }

  it('signed out: the sign-in page (and axe finds what it should on a page made to fail)', async () => {
    const browser = await openBrowser({ bypassCSP: true });
    try {
      const page = await browser.context.newPage();
      await page.setContent(
        '<html><body><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><input type="text"></body></html>',
      );
      expect((await seriousViolations(page)).join('\n')).toMatch(/image-alt[\s\S]*label|label[\s\S]*image-alt/);
    } finally {
      await browser.close();
    }
    await check('anonymous', undefined, ['/app/login']);
  });

  it('merchant: overview, orders, an order, held orders, plan and what-if, postback tokens, an error page', async () => {
    const key = accounts.merchant.apiKey;
    const order = await firstId(key, '/v1/orders?limit=1', 'orders');
    await check('merchant', key, [
      '/app/merchant',
      '/app/merchant/orders',
      `/app/merchant/orders/${order}`,
      '/app/merchant/held',
      '/app/merchant/plan',
      '/app/merchant/postback-tokens',
      '/app/merchant/orders/missing-order',
    ]);
  });

  it('affiliate: overview and link builder', async () => {
    await check('affiliate', accounts.affiliates[0]!.apiKey, ['/app/affiliate', '/app/affiliate/links']);
  });

  it('finance: payout runs and one run with its confirmation', async () => {
    const key = accounts.finance.apiKey;
    const run = await firstId(key, '/v1/payouts', 'payouts');
    await check('finance', key, ['/app/finance', `/app/finance/payouts/${run}`, `/app/finance/payouts/${run}?confirm=paid`]);
  });

  it('/favicon.ico answers', async () => {
    const response = await t.request('/favicon.ico');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/svg+xml');
  });
});
