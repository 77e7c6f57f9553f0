import type { Context } from 'hono';
import type { Role } from '../../core/principal';
import type { AppDeps } from '../../core/deps';
import { formatter, localeFrom, type Formatter } from './format';
import { ApiCallError, apiClient, type ApiClient, type InProcessApp, originOf } from './api-client';
import { Layout } from './layout';
import { readSession, sameToken, type Session } from './session';

/** What a page handler gets: the signed-in session, an API client bound to its key, today's date. */
export interface PageContext {
  session: Session;
  api: ApiClient;
  /** The service clock's time of the request, ISO. */
  now: string;
  today: string;
  /** The first day of the default range: the 30 days ending today. */
  monthAgo: string;
  /** Numbers in the viewer's locale (Accept-Language). */
  fmt: Formatter;
  /** The page's path, for the navigation's current link. */
  path: string;
}

export type Form = Record<string, string>;
type PageHandler = (c: Context, p: PageContext) => Promise<Response> | Response;
type ActionHandler = (c: Context, p: PageContext, form: Form) => Promise<Response> | Response;

const DAY_MS = 24 * 3600 * 1000;

/**
 * Security headers for every page: no framing (clickjacking), scripts only from this origin
 * (the chart library and our one script), no caching of pages that show money.
 */
export function pageHeaders(c: Context) {
  c.header(
    'content-security-policy',
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
  );
  c.header('x-frame-options', 'DENY');
  c.header('cache-control', 'no-store');
  c.header('referrer-policy', 'same-origin');
}

/** A friendly page for an API failure: the API's message, its status, never a stack trace. */
export function errorPage(c: Context, error: unknown, session?: Session) {
  pageHeaders(c);
  if (error instanceof ApiCallError) {
    // The page the request came from, when it is one of ours (the CSP forbids javascript: links).
    const referer = c.req.header('referer');
    const back = referer && sameOriginPath(referer, c.req.url);
    const status = (error.status >= 400 && error.status < 600 ? error.status : 500) as 400;
    const title = error.status === 404 ? 'Not found' : error.status >= 500 ? 'The service could not answer' : 'That did not work';
    return c.html(
      <Layout title={title} role={session?.principal.role} csrf={session?.csrf} error={error.message}>
        <p>
          {back ? (
            <>
              <a href={back}>Go back</a> or{' '}
            </>
          ) : null}
          <a href="/app">start over</a>.
        </p>
      </Layout>,
      status,
    );
  }
  throw error;
}

function sameOriginPath(referer: string, url: string): string | undefined {
  try {
    const from = new URL(referer);
    return from.origin === new URL(url).origin && from.pathname.startsWith('/app') ? from.pathname + from.search : undefined;
  } catch {
    return undefined;
  }
}

export function pageRunner(deps: AppDeps, app: InProcessApp) {
  function context(session: Session, c: Context): PageContext {
    const now = deps.clock.now();
    return {
      fmt: formatter(localeFrom(c.req.header('accept-language'))),
      path: new URL(c.req.url).pathname,
      session,
      api: apiClient(app, session.apiKey, originOf(c.env, c.req.raw.headers)),
      now: now.toISOString(),
      today: now.toISOString().slice(0, 10),
      monthAgo: new Date(now.getTime() - 29 * DAY_MS).toISOString().slice(0, 10),
    };
  }

  /** Signed in, with one of these roles; otherwise the sign-in page, or a 403 page for another role. */
  async function guard(c: Context, roles: Role[]): Promise<Session | Response> {
    const session = await readSession(deps, c);
    if (!session) {
      const next = c.req.method === 'GET' ? `?next=${encodeURIComponent(new URL(c.req.url).pathname)}` : '';
      return c.redirect(`/app/login${next}`, 303);
    }
    if (!roles.includes(session.principal.role)) {
      pageHeaders(c);
      return c.html(
        <Layout
          title="Not for this key"
          role={session.principal.role}
          csrf={session.csrf}
          error={`These pages are for ${roles.join(' or ')} keys; you signed in with a ${session.principal.role} key.`}
        >
          <p>
            <a href="/app">Go to your pages</a>
          </p>
        </Layout>,
        403,
      );
    }
    return session;
  }

  return {
    page(roles: Role[], handler: PageHandler) {
      return async (c: Context) => {
        const session = await guard(c, roles);
        if (session instanceof Response) return session;
        try {
          pageHeaders(c);
          return await handler(c, context(session, c));
        } catch (error) {
          return errorPage(c, error, session);
        }
      };
    },
    /** A POST form: the CSRF token is checked before anything else reads the form. */
    action(roles: Role[], handler: ActionHandler) {
      return async (c: Context) => {
        const session = await guard(c, roles);
        if (session instanceof Response) return session;
        const body = await c.req.parseBody();
        const form: Form = {};
        for (const [name, value] of Object.entries(body)) if (typeof value === 'string') form[name] = value;
        if (!sameToken(form.csrf, session.csrf)) {
          pageHeaders(c);
          return c.html(
            <Layout
              title="Form expired"
              role={session.principal.role}
              csrf={session.csrf}
              error="This form's security token did not match; reload the page and try again."
            >
              <p>
                <a href="/app">Start over</a>
              </p>
            </Layout>,
            403,
          );
        }
        try {
          pageHeaders(c);
          return await handler(c, context(session, c), form);
        } catch (error) {
          return errorPage(c, error, session);
        }
      };
    },
  };
}

export type PageRunner = ReturnType<typeof pageRunner>;

/** A YYYY-MM-DD query value, or the default; the API validates ranges itself. */
export function dateParam(c: Context, name: string, fallback: string): string {
  const value = c.req.query(name);
  return value && /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : fallback;
}
