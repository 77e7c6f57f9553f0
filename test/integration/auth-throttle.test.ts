import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthThrottle } from '../../src/app/auth-throttle';
import { ADMIN_TOKEN, createTenant, startTestApp, TEST_IP_HEADER, type Tenant, type TestApp } from '../support/test-app';

/**
 * A wrong-key flood from one address: after AUTH_FAILURE_LIMIT failures in a window it gets 429
 * rate_limited with Retry-After, before any key lookup (its right key is refused too), while the
 * same key from another address works and the redirect from the flooding address is untouched.
 */
const LIMIT = 5;
const WINDOW_SECONDS = 60;
let t: TestApp;
let tenant: Tenant;

beforeAll(async () => {
  t = await startTestApp({
    config: {
      publicUrl: 'https://go.clickledger.test',
      bodyLimitBytes: 1024 * 1024,
      authFailureLimit: LIMIT,
      authFailureWindowSeconds: WINDOW_SECONDS,
    },
  });
  tenant = await createTenant(t);
});
afterAll(async () => {
  await t.close();
});

const from = (ip: string, key: string) => t.request('/v1/programs', { key, headers: { [TEST_IP_HEADER]: ip } });

describe('authentication failures are throttled per client address', () => {
  it('answers 429 with Retry-After after the limit, only to that address, never on the redirect', async () => {
    const flooder = '198.51.100.7';
    for (let i = 0; i < LIMIT; i++) expect((await from(flooder, `clk_wrong_${i}`)).status).toBe(401);

    const refused = await from(flooder, 'clk_wrong_again');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe(String(WINDOW_SECONDS));
    expect(await refused.json()).toEqual({
      error: { code: 'rate_limited', message: expect.stringContaining('too many failed authentications') },
    });
    // Refused before the lookup: even a right key from that address waits out the window.
    expect((await from(flooder, tenant.merchant.apiKey)).status).toBe(429);
    // Another address with the right key is served.
    expect((await from('198.51.100.8', tenant.merchant.apiKey)).status).toBe(200);
    // The redirect checks no key and pays nothing for the throttle.
    const click = await t.request(`/c/${tenant.link.code}`, { headers: { [TEST_IP_HEADER]: flooder } });
    expect(click.status).toBe(302);

    t.clock.advance(30_000);
    expect((await from(flooder, 'clk_wrong_later')).headers.get('retry-after')).toBe('30');
    t.clock.advance(30_000);
    expect((await from(flooder, tenant.merchant.apiKey)).status).toBe(200);
    expect((await from(flooder, 'clk_wrong_new_window')).status).toBe(401);
  });

  it('counts failed dashboard sign-ins too', async () => {
    const ip = '198.51.100.20';
    const page = await t.app.request('http://dash.test/app/login', { headers: { [TEST_IP_HEADER]: ip } });
    const cookie = page.headers.getSetCookie()[0]!.split(';')[0]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())![1]!;
    const signIn = (apiKey: string) =>
      t.app.request('http://dash.test/app/login', {
        method: 'POST',
        headers: { [TEST_IP_HEADER]: ip, cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf, apiKey }),
      });
    for (let i = 0; i < LIMIT; i++) expect((await signIn(`clk_wrong_${i}`)).status).toBe(401);
    const refused = await signIn(tenant.merchant.apiKey);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refused.text()).toContain('Too many failed sign-ins');
    // The same address's API calls share the count.
    expect((await from(ip, ADMIN_TOKEN)).status).toBe(429);
  });
});

describe('AuthThrottle', () => {
  it('forgets the least recently failing address past its bound', () => {
    const throttle = new AuthThrottle({ limit: 1, windowMs: 60_000, maxAddresses: 3 });
    for (const address of ['a', 'b', 'c']) throttle.failed(address, 0);
    throttle.failed('a', 1); // a is now the most recent
    throttle.failed('d', 2);
    expect(throttle.size).toBe(3);
    expect(throttle.retryAfterSeconds('b', 3)).toBeUndefined();
    for (const address of ['a', 'c', 'd']) expect(throttle.retryAfterSeconds(address, 3)).toBe(60);
  });
});
