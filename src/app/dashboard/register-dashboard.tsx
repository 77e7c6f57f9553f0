import type { Context, Hono } from 'hono';
import type { AppEnv } from '../env';
import type { AuthThrottle } from '../auth-throttle';
import type { SignupGate } from '../signup-gate';
import { registerSignupPages } from './signup-pages';
import type { AppDeps } from '../../core/deps';
import type { InProcessApp } from './api-client';
import { registerAffiliatePages } from './affiliate-pages';
import { registerAffiliatePostbackPages } from './affiliate-postbacks';
import { DASHBOARD_JS } from './client-script';
import { registerFinancePages } from './finance-pages';
import { registerAuditPage } from './audit-page';
import { Csrf, Layout } from './layout';
import { registerMerchantPages } from './merchant-pages';
import { pageHeaders, pageRunner } from './page-runner';
import { registerReportDownload } from './report-pages';
import { checkLoginCsrf, endSession, loginCsrf, readSession, sameToken, startSession } from './session';
import { authenticate } from '../../use-cases/api-keys';
import { signupEnabled } from '../../use-cases/signup';
import { serveAsset } from '../static-asset';

const FAVICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#0b57d0"/><path d="M9 22l5-6 4 3 5-8" stroke="#fff" stroke-width="3" fill="none" stroke-linecap="round" stroke-linejoin="round"/></svg>';

const HOME = { merchant: '/app/merchant', affiliate: '/app/affiliate', finance: '/app/finance', admin: '/app/login' } as const;

/** Only our own pages as the place to go after signing in: no open redirect through ?next=. */
function safeNext(next: string | undefined, fallback: string): string {
  if (!next || !/^\/app(\/[A-Za-z0-9/_.-]*)?$/.test(next) || next.includes('//')) return fallback;
  // A browser resolves `.` and `..` segments: `/app/../evil` is `/evil`, outside the dashboards.
  return next.split('/').some((segment) => segment === '.' || segment === '..') ? fallback : next;
}

/**
 * The dashboards under /app: server-rendered pages (hono/jsx) for merchants, affiliates and
 * finance. Plain routes, not in the OpenAPI document: pages are one more client of the API,
 * which they call in-process with the signed-in key, so roles and tenancy are the API's own.
 */
export function registerDashboardRoutes(
  router: Hono<AppEnv>,
  deps: AppDeps,
  app: InProcessApp,
  throttle: AuthThrottle,
  signupGate: SignupGate,
) {
  const run = pageRunner(deps, app);

  router.get('/app/assets/dashboard.js', (c) =>
    c.body(DASHBOARD_JS, 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=300' }),
  );
  router.get('/app/assets/chart.js', (c) => serveAsset(c, deps, 'chart.js'));
  // Browsers ask for /favicon.ico on every site; an SVG answers it (Chromium and Firefox read it by type).
  router.get('/favicon.ico', (c) =>
    c.body(FAVICON_SVG, 200, { 'content-type': 'image/svg+xml', 'cache-control': 'public, max-age=86400' }),
  );

  router.get('/app', async (c) => {
    const session = await readSession(deps, c);
    return c.redirect(session ? HOME[session.principal.role] : '/app/login', 303);
  });

  const loginPage = async (c: Context, error?: string, status: 200 | 401 | 403 | 429 = 200) => {
    // The sign-up link only while the admin has public sign-up on: off, it would lead to a 403.
    const signupOpen = await signupEnabled(deps);
    pageHeaders(c);
    const token = loginCsrf(deps, c);
    const next = c.req.query('next');
    return c.html(
      <Layout title="Sign in" error={error}>
        <section aria-labelledby="login-h">
          <h2 id="login-h">Sign in with your API key</h2>
          <p>
            Merchant, affiliate and finance keys each open their own pages. The key is kept in a cookie this browser sends only to
            this site.
          </p>
          <form method="post" action={`/app/login${next ? `?next=${encodeURIComponent(next)}` : ''}`} class="inline">
            <Csrf token={token} />
            <label style="flex:1 1 320px">
              API key
              <input
                type="password"
                name="apiKey"
                autocomplete="current-password"
                required
                minlength={20}
                maxlength={200}
                autofocus
              />
            </label>
            <button type="submit">Sign in</button>
          </form>
          {signupOpen && (
            <p>
              New affiliate? <a href="/app/signup">Sign up</a>.
            </p>
          )}
        </section>
      </Layout>,
      status,
    );
  };

  router.get('/app/login', (c) => loginPage(c));
  router.post('/app/login', async (c) => {
    const body = await c.req.parseBody();
    const apiKey = typeof body.apiKey === 'string' ? body.apiKey.trim() : '';
    if (!checkLoginCsrf(c, typeof body.csrf === 'string' ? body.csrf : undefined))
      return loginPage(c, 'The form expired; please try again.', 403);
    // Sign-in tries count against the address like wrong API keys: the form is no way around the throttle.
    const address = deps.clientIp(c);
    const retryAfter = throttle.retryAfterSeconds(address, deps.clock.now().getTime());
    if (retryAfter !== undefined) {
      c.header('Retry-After', String(retryAfter));
      return loginPage(c, `Too many failed sign-ins from this address; try again in ${retryAfter} s.`, 429);
    }
    const principal = await authenticate(deps, apiKey);
    if (!principal) throttle.failed(address, deps.clock.now().getTime());
    if (!principal || principal.role === 'admin') {
      return loginPage(
        c,
        principal ? 'Admin keys have no dashboard; use a merchant, affiliate or finance key.' : 'Unknown or revoked API key.',
        401,
      );
    }
    startSession(c, apiKey);
    return c.redirect(safeNext(c.req.query('next'), HOME[principal.role]), 303);
  });
  router.post('/app/logout', async (c) => {
    const session = await readSession(deps, c);
    const body = await c.req.parseBody();
    if (session && !sameToken(typeof body.csrf === 'string' ? body.csrf : undefined, session.csrf))
      return c.text('form expired', 403);
    endSession(c);
    return c.redirect('/app/login', 303);
  });

  registerSignupPages(router, deps, signupGate);
  registerReportDownload(router, run);
  registerMerchantPages(router, run);
  registerAffiliatePages(router, run);
  registerAffiliatePostbackPages(router, run);
  registerFinancePages(router, run);
  registerAuditPage(router, run);
}
