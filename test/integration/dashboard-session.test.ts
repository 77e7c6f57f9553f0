import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderEvent, sendOrder } from '../support/shop';
import { ADMIN_TOKEN, createTenant, startTestApp, type Tenant, type TestApp } from '../support/test-app';
import { DashboardBrowser } from '../support/dashboard-browser';

/**
 * The dashboards' session, CSRF and tenancy rules, through app.request (no browser needed):
 * the cookie's attributes, every POST refused without the session's token, a page refused to
 * the wrong role, another tenant's order answering the same 404 page as a missing one. Checked against a
 * broken build once: with the CSRF comparison accepting a missing token, two of these fail.
 */
let t: TestApp;
let a: Tenant;
let b: Tenant;

beforeAll(async () => {
  t = await startTestApp();
  a = await createTenant(t, 'Alpha');
  b = await createTenant(t, 'Beta');
  const response = await sendOrder(
    t,
    a.merchant.webhookSecret,
    orderEvent(a.program.id, 'order.created', { id: 'ALPHA-1', customerId: 'alpha-customer-77' }),
  );
  expect(response.status).toBe(200);
});
afterAll(() => t.close());

describe('dashboard sign-in and session', () => {
  it('sends a visitor without a session to the sign-in page, remembering where they were going', async () => {
    const response = await new DashboardBrowser(t).fetch('/app/merchant/orders');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/app/login?next=%2Fapp%2Fmerchant%2Forders');
  });

  it('keeps the key in an HttpOnly, SameSite=Strict cookie scoped to /app, Secure over https', async () => {
    const browser = new DashboardBrowser(t);
    const response = await browser.signIn(a.merchant.apiKey);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/app/merchant');
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith('cl_session='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\/app/);
    expect(cookie).toMatch(/Max-Age=\d+/);
    expect(cookie).not.toMatch(/Secure/);
    const secure = await new DashboardBrowser(t, 'https://dash.test').signIn(a.merchant.apiKey);
    expect(secure.headers.getSetCookie().find((c) => c.startsWith('cl_session='))).toMatch(/Secure/);
  });

  it('refuses a sign-in without the form token, with an unknown key, or with the admin key', async () => {
    const browser = new DashboardBrowser(t);
    await browser.token('/app/login');
    const forged = await browser.post('/app/login', { apiKey: a.merchant.apiKey });
    expect(forged.status).toBe(403);
    expect(forged.headers.getSetCookie().some((c) => c.startsWith('cl_session='))).toBe(false);
    const unknown = await browser.signIn('cl_mer_not-a-real-key-0123456789');
    expect(unknown.status).toBe(401);
    const admin = await browser.signIn(ADMIN_TOKEN);
    expect(admin.status).toBe(401);
    expect(await admin.text()).toContain('Admin keys have no dashboard');
    expect(browser.cookies.has('cl_session')).toBe(false);
  });

  it('never redirects off the site after sign-in', async () => {
    for (const next of [
      '//evil.example/',
      'https://evil.example/',
      '/app//evil.example',
      '/elsewhere',
      '/app/../evil',
      '/app/./../x',
    ]) {
      const response = await new DashboardBrowser(t).signIn(a.merchant.apiKey, `?next=${encodeURIComponent(next)}`);
      expect(response.headers.get('location'), next).toBe('/app/merchant');
    }
    const inside = await new DashboardBrowser(t).signIn(a.merchant.apiKey, `?next=${encodeURIComponent('/app/merchant/orders')}`);
    expect(inside.headers.get('location')).toBe('/app/merchant/orders');
  });

  it('ends the session at the next click once the key is revoked', async () => {
    const browser = new DashboardBrowser(t);
    const issued = (await (
      await t.request('/v1/merchants', { method: 'POST', key: ADMIN_TOKEN, json: { name: 'Gamma' } })
    ).json()) as { apiKey: string; keyId: number | string };
    await browser.signIn(issued.apiKey);
    expect((await browser.fetch('/app/merchant/orders')).status).toBe(200);
    const keys = (await (await t.request('/v1/keys', { key: issued.apiKey })).json()) as { keys: { id: string }[] };
    expect((await t.request(`/v1/keys/${keys.keys[0]!.id}/revoke`, { method: 'POST', key: issued.apiKey })).status).toBe(200);
    const after = await browser.fetch('/app/merchant/orders');
    expect(after.status).toBe(303);
    expect(after.headers.get('location')).toMatch(/^\/app\/login/);
  });

  it('signs out only with the form token', async () => {
    const browser = new DashboardBrowser(t);
    await browser.signIn(a.affiliate.apiKey);
    expect((await browser.post('/app/logout', { csrf: 'wrong' })).status).toBe(403);
    expect(browser.cookies.has('cl_session')).toBe(true);
    const csrf = await browser.token('/app/affiliate/links');
    expect((await browser.post('/app/logout', { csrf })).status).toBe(303);
    expect(browser.cookies.has('cl_session')).toBe(false);
  });
});

describe('dashboard pages: CSRF, roles and tenancy', () => {
  it('refuses every POST without the session token, and with another session token, changing nothing', async () => {
    const alpha = new DashboardBrowser(t);
    await alpha.signIn(a.merchant.apiKey);
    const beta = new DashboardBrowser(t);
    await beta.signIn(b.merchant.apiKey);
    const betaToken = await beta.token('/app/merchant/plan');
    const plan = JSON.stringify({ default: { percent: '50' } });
    for (const form of [{}, { csrf: '' }, { csrf: betaToken }] as Record<string, string>[]) {
      const response = await alpha.post('/app/merchant/plan', {
        ...form,
        program: a.program.id,
        plan,
        intent: 'save',
        from: '2026-11-01',
        to: '2026-11-25',
      });
      expect(response.status).toBe(403);
      expect(await response.text()).toContain('security token did not match');
    }
    const program = (await (await t.request(`/v1/programs/${a.program.id}`, { key: a.merchant.apiKey })).json()) as {
      plan: { default: { percent: string } };
    };
    expect(program.plan.default.percent).toBe('8');
    // With its own token the same form saves.
    const own = await alpha.token('/app/merchant/plan');
    const saved = await alpha.post('/app/merchant/plan', {
      csrf: own,
      program: a.program.id,
      plan,
      intent: 'save',
      from: '2026-11-01',
      to: '2026-11-25',
    });
    expect(saved.status).toBe(200);
    expect(await saved.text()).toContain('Plan saved');
    const changed = (await (await t.request(`/v1/programs/${a.program.id}`, { key: a.merchant.apiKey })).json()) as {
      plan: { default: { percent: string } };
    };
    expect(changed.plan.default.percent).toBe('50');
  });

  it("shows each role only its own pages: a 403 page for another role's", async () => {
    const affiliate = new DashboardBrowser(t);
    await affiliate.signIn(a.affiliate.apiKey);
    for (const path of ['/app/merchant', '/app/merchant/orders', '/app/finance']) {
      const response = await affiliate.fetch(path);
      expect(response.status, path).toBe(403);
      expect(await response.text()).toContain('you signed in with a affiliate key');
    }
    const merchant = new DashboardBrowser(t);
    await merchant.signIn(a.merchant.apiKey);
    expect((await merchant.fetch('/app/affiliate/links')).status).toBe(403);
    expect((await merchant.fetch('/app/finance')).status).toBe(403);
  });

  it("answers another merchant's order with the same 404 page as a missing one, and never shows it", async () => {
    const alpha = new DashboardBrowser(t);
    await alpha.signIn(a.merchant.apiKey);
    const own = await alpha.fetch('/app/merchant/orders/ALPHA-1');
    expect(own.status).toBe(200);
    expect(await own.text()).toContain('ALPHA-1');

    const beta = new DashboardBrowser(t);
    await beta.signIn(b.merchant.apiKey);
    const theirs = await beta.fetch('/app/merchant/orders/ALPHA-1');
    const missing = await beta.fetch('/app/merchant/orders/NO-SUCH-ORDER');
    expect(theirs.status).toBe(404);
    expect(missing.status).toBe(404);
    const page = await theirs.text();
    expect(page).not.toContain('alpha-customer-77');
    expect(page.replace(/ALPHA-1/g, 'X')).toBe((await missing.text()).replace(/NO-SUCH-ORDER/g, 'X'));
    const list = await (await beta.fetch('/app/merchant/orders?from=2026-11-01&to=2026-11-30')).text();
    expect(list).not.toContain('ALPHA-1');

    // Nor can its release form touch it.
    const csrf = await beta.token('/app/merchant/orders');
    expect((await beta.post('/app/merchant/orders/ALPHA-1/release', { csrf })).status).toBe(404);
    expect(
      ((await (await t.request('/v1/orders/ALPHA-1', { key: a.merchant.apiKey })).json()) as { review: unknown }).review,
    ).toBeNull();
  });

  it('sends pages with a strict content security policy, no framing and no caching; serves Chart.js from node_modules', async () => {
    const browser = new DashboardBrowser(t);
    await browser.signIn(a.merchant.apiKey);
    const page = await browser.fetch('/app/merchant/orders');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('cache-control')).toBe('no-store');
    const chart = await t.app.request('/app/assets/chart.js');
    expect(chart.status).toBe(200);
    expect(chart.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await chart.text()).toContain('Chart.js v4');
  });

  it("keeps a plan the API refuses in the editor, with the API's reason, and saves nothing", async () => {
    const browser = new DashboardBrowser(t);
    await browser.signIn(b.merchant.apiKey);
    const csrf = await browser.token('/app/merchant/plan');
    const plan = '{"default":{"percent":"8.123"}}';
    const form = { csrf, program: b.program.id, plan, from: '2026-11-01', to: '2026-11-25' };
    for (const intent of ['simulate', 'save']) {
      const response = await browser.post('/app/merchant/plan', { ...form, intent });
      expect(response.status).toBe(422);
      const html = await response.text();
      expect(html).toContain(`Nothing was ${intent === 'save' ? 'saved' : 'simulated'}`);
      expect(html).toContain('8.123');
    }
    const bad = await browser.post('/app/merchant/plan', { ...form, plan: '{not json', intent: 'save' });
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain('not valid JSON');
    const program = (await (await t.request(`/v1/programs/${b.program.id}`, { key: b.merchant.apiKey })).json()) as {
      plan: { default: { percent: string } };
    };
    expect(program.plan.default.percent).toBe('8');
  });

  it('shows a friendly page, not the API envelope, when the report store is missing', async () => {
    const browser = new DashboardBrowser(t);
    await browser.signIn(a.merchant.apiKey);
    const response = await browser.fetch('/app/merchant');
    expect(response.status).toBe(503);
    const html = await response.text();
    expect(html).toContain('<html');
    expect(html).toContain('reports need ClickHouse');
  });
});
