import { z } from '@hono/zod-openapi';
import type { Context, Hono } from 'hono';
import type { AppDeps } from '../../core/deps';
import { AppError } from '../../core/errors';
import type { AppEnv } from '../env';
import { NameSchema } from '../schemas/common';
import type { SignupGate } from '../signup-gate';
import { SIGNUP_ACCEPTED } from '../routes/signup';
import { normalizeEmail, requestSignup, verifySignup } from '../../use-cases/signup';
import { Csrf, Layout } from './layout';
import { pageHeaders } from './page-runner';
import { checkLoginCsrf, csrfToken, loginCsrf, startSession } from './session';

const SignupForm = z.object({ name: NameSchema, email: z.email().max(320) });
type Status = 200 | 202 | 201 | 400 | 403 | 404 | 409 | 422 | 429;

/**
 * The public sign-up pages: the form, and the page the emailed link opens. Opening the link
 * changes nothing (mail scanners open links too); its one button does, through the same
 * use-case and the same throttle as POST /v1/signup and /v1/signup/verify. Confirming signs the
 * new affiliate in and shows its API key once.
 */
export function registerSignupPages(router: Hono<AppEnv>, deps: AppDeps, gate: SignupGate) {
  const formPage = (c: Context, status: Status = 200, error?: string, values: { name?: string; email?: string } = {}) => {
    pageHeaders(c);
    return c.html(
      <Layout title="Become an affiliate" error={error}>
        <section aria-labelledby="signup-h">
          <h2 id="signup-h">Sign up with your email address</h2>
          <p>We email you a link; your account and its API key are made when you open it (within 24 hours).</p>
          <form method="post" action="/app/signup" class="inline">
            <Csrf token={loginCsrf(deps, c)} />
            <label style="flex:1 1 220px">
              Your name or company
              <input name="name" required maxlength={200} autocomplete="name" value={values.name ?? ''} autofocus />
            </label>
            <label style="flex:1 1 260px">
              Email
              <input type="email" name="email" required maxlength={320} autocomplete="email" value={values.email ?? ''} />
            </label>
            <button type="submit">Send me the link</button>
          </form>
          <p>
            Already have an API key? <a href="/app/login">Sign in</a>.
          </p>
        </section>
      </Layout>,
      status,
    );
  };

  const failure = (error: unknown): { status: Status; message: string } => {
    if (error instanceof AppError) return { status: error.status as Status, message: error.message };
    throw error;
  };

  router.get('/app/signup', (c) => formPage(c));
  router.post('/app/signup', async (c) => {
    const body = await c.req.parseBody();
    const values = { name: String(body.name ?? ''), email: String(body.email ?? '').trim() };
    if (!checkLoginCsrf(c, typeof body.csrf === 'string' ? body.csrf : undefined))
      return formPage(c, 403, 'The form expired; please try again.', values);
    const parsed = SignupForm.safeParse(values);
    if (!parsed.success) return formPage(c, 422, 'Please give a name and a valid email address.', values);
    const wait = gate.admit(deps.clientIp(c), normalizeEmail(parsed.data.email), deps.clock.now().getTime());
    if (wait !== undefined) {
      c.header('Retry-After', String(wait));
      return formPage(c, 429, `Too many sign-up requests; try again in ${wait} s.`, values);
    }
    try {
      await requestSignup(deps, parsed.data);
    } catch (error) {
      const { status, message } = failure(error);
      return formPage(c, status, message, values);
    }
    pageHeaders(c);
    return c.html(
      <Layout title="Check your inbox" notice={SIGNUP_ACCEPTED.message}>
        <section>
          <p>Open the link in the message to finish. Nothing is created until you do.</p>
        </section>
      </Layout>,
      202,
    );
  });

  const confirmPage = (c: Context, token: string, status: Status = 200, error?: string) => {
    pageHeaders(c);
    return c.html(
      <Layout title="Confirm your address" error={error}>
        <section aria-labelledby="verify-h">
          <h2 id="verify-h">One more click</h2>
          <p>Confirm to create your affiliate account. Its API key is shown once, on the next page.</p>
          <form method="post" action="/app/signup/verify" class="inline">
            <Csrf token={loginCsrf(deps, c)} />
            <input type="hidden" name="token" value={token} />
            <button type="submit">Create my account</button>
          </form>
        </section>
      </Layout>,
      status,
    );
  };

  router.get('/app/signup/verify', (c) => confirmPage(c, (c.req.query('token') ?? '').slice(0, 200)));
  router.post('/app/signup/verify', async (c) => {
    const body = await c.req.parseBody();
    const token = typeof body.token === 'string' ? body.token.slice(0, 200) : '';
    if (!checkLoginCsrf(c, typeof body.csrf === 'string' ? body.csrf : undefined))
      return confirmPage(c, token, 403, 'The form expired; please try again.');
    let created;
    try {
      created = await verifySignup(deps, token);
    } catch (error) {
      const { status, message } = failure(error);
      pageHeaders(c);
      return c.html(
        <Layout title="That link did not work" error={message}>
          <p>
            <a href="/app/signup">Sign up again</a> or <a href="/app/login">sign in</a>.
          </p>
        </Layout>,
        status,
      );
    }
    // The new key opens a dashboard session at once, as signing in with it would.
    startSession(c, created.apiKey);
    pageHeaders(c);
    return c.html(
      <Layout
        title="Welcome"
        role="affiliate"
        csrf={csrfToken(deps, created.apiKey)}
        notice={`Your affiliate account ${created.id} is ready.`}
      >
        <section aria-labelledby="key-h">
          <h2 id="key-h">Your API key</h2>
          <p>Shown only this once, and stored only as a hash: copy it somewhere safe. It signs you in here and calls the API.</p>
          <pre data-testid="api-key">{created.apiKey}</pre>
          <p>
            <a href="/app/affiliate">Go to your dashboard</a>
          </p>
        </section>
      </Layout>,
      201,
    );
  });
}
