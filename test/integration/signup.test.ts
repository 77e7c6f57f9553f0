import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sendPendingMail } from '../../src/mail/mail-outbox';
import { nodeMailTransport } from '../../src/runtime/node-mail';
import { startSmtpServer } from '../support/smtp-server';
import { ADMIN_TOKEN, createAffiliate, startTestApp, TEST_IP_HEADER, type TestApp } from '../support/test-app';

const LINK = /https:\/\/go\.clickledger\.test(\/app\/signup\/verify\?token=[A-Za-z0-9_%-]+)/;

describe('affiliate sign-up with email verification', () => {
  let t: TestApp;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  beforeEach(async () => {
    t = await startTestApp();
    smtp = await startSmtpServer();
  });
  afterEach(async () => {
    await smtp.close();
    await t.close();
  });

  /** What the server's mail timer does, against the real SMTP server. */
  const deliver = () =>
    sendPendingMail({
      ...t.deps,
      transport: nodeMailTransport({ smtpUrl: smtp.url, dataDir: t.dir }),
      from: 'clickledger <noreply@clickledger.test>',
    });
  const signup = (body: unknown, ip = '198.51.100.7') =>
    t.request('/v1/signup', { method: 'POST', json: body, headers: { [TEST_IP_HEADER]: ip } });
  const affiliates = async () => await t.deps.db.selectFrom('affiliates').select(['id', 'name', 'email']).execute();
  const linkIn = (text: string | undefined) => {
    const match = LINK.exec(text ?? '');
    if (!match) throw new Error(`no link in ${text}`);
    return { path: match[1]!, token: decodeURIComponent(new URL(match[0]).searchParams.get('token')!) };
  };
  async function mailedLink(to: string) {
    await deliver();
    const mail = [...smtp.received].reverse().find((m) => m.envelopeTo[0] === to);
    return linkIn(mail?.parsed.text);
  }

  it('creates the affiliate only when the emailed link is followed in the browser pages, and shows its key once', async () => {
    const asked = await signup({ name: 'Nova Deals', email: 'Nova@Example.com' });
    expect(asked.status).toBe(202);
    expect(await affiliates()).toEqual([]);
    expect(smtp.received).toHaveLength(0); // queued with the request, sent by the mail timer

    await deliver();
    const [mail] = await smtp.waitFor(1);
    expect(mail!.envelopeTo).toEqual(['nova@example.com']);
    expect(mail!.parsed.subject).toBe('Confirm your email address');
    const { path, token } = linkIn(mail!.parsed.text);
    expect(mail!.parsed.html).toContain(`href="https://go.clickledger.test${path.replaceAll('&', '&amp;')}"`);
    // Only the token's hash is stored; the sent mail's bodies are gone.
    const stored = await t.deps.db.selectFrom('signup_requests').selectAll().execute();
    expect(stored).toHaveLength(1);
    expect(JSON.stringify(stored)).not.toContain(token);
    expect(stored[0]!.token_hash).toBe(t.deps.crypto.sha256Hex(token));
    expect(JSON.stringify(await t.deps.db.selectFrom('mail_outbox').selectAll().execute())).not.toContain(token);

    // The user opens the link: a page with one button, and nothing made yet.
    const opened = await t.request(path);
    expect(opened.status).toBe(200);
    const page = await opened.text();
    expect(page).toContain('Create my account');
    expect(await affiliates()).toEqual([]);
    const cookie = opened.headers.get('set-cookie')!.split(';')[0]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    const hiddenToken = /name="token" value="([^"]+)"/.exec(page)![1]!;
    expect(hiddenToken).toBe(token);

    const confirmed = await t.request('/app/signup/verify', {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf, token: hiddenToken }).toString(),
    });
    expect(confirmed.status).toBe(201);
    const welcome = await confirmed.text();
    const apiKey = /data-testid="api-key">([^<]+)</.exec(welcome)![1]!;
    expect(apiKey).toMatch(/^cl_aff_/);
    expect(confirmed.headers.get('set-cookie')).toContain('cl_session=');
    expect(await affiliates()).toEqual([{ id: 1, name: 'Nova Deals', email: 'nova@example.com' }]);

    // The key is a working affiliate key.
    const keys = await t.request('/v1/keys', { key: apiKey });
    expect(keys.status).toBe(200);
    expect(((await keys.json()) as { keys: { role: string; affiliateId: string }[] }).keys).toEqual([
      expect.objectContaining({ role: 'affiliate', affiliateId: 'aff_1' }),
    ]);
    // The session the page opened reaches the affiliate's dashboard.
    const session = confirmed.headers.get('set-cookie')!.split(';')[0]!;
    expect((await t.request('/app/affiliate/links', { headers: { cookie: session } })).status).toBe(200);
  });

  it('refuses a used link and creates nothing more', async () => {
    await signup({ name: 'Nova', email: 'nova@example.com' });
    const { token } = await mailedLink('nova@example.com');
    const first = await t.request('/v1/signup/verify', { method: 'POST', json: { token } });
    expect(first.status).toBe(201);
    expect(await first.json()).toMatchObject({ id: 'aff_1', name: 'Nova', email: 'nova@example.com', keyId: 'key_2' });
    const again = await t.request('/v1/signup/verify', { method: 'POST', json: { token } });
    expect(again.status).toBe(409);
    expect(await again.json()).toEqual({
      error: { code: 'conflict', message: 'this sign-up link was already used; sign in with your API key' },
    });
    expect(await affiliates()).toHaveLength(1);
    expect(await t.deps.db.selectFrom('api_keys').select('id').where('role', '=', 'affiliate').execute()).toHaveLength(1);
  });

  it('refuses a link past 24 hours, and an unknown one, and creates nothing', async () => {
    await signup({ name: 'Nova', email: 'nova@example.com' });
    const { token } = await mailedLink('nova@example.com');
    t.clock.advance(24 * 3600_000 + 1000);
    const late = await t.request('/v1/signup/verify', { method: 'POST', json: { token } });
    expect(late.status).toBe(409);
    expect(((await late.json()) as { error: { message: string } }).error.message).toBe(
      'this sign-up link has expired; sign up again',
    );
    const unknown = await t.request('/v1/signup/verify', { method: 'POST', json: { token: `${token.slice(0, -2)}xx` } });
    expect(unknown.status).toBe(404);
    expect(await affiliates()).toEqual([]);
  });

  it('answers a known address exactly as an unknown one; the known one is told by mail and gets no link', async () => {
    await createAffiliate(t, 'Old Hand', { email: 'old@example.com' });
    const known = await signup({ name: 'Someone', email: 'OLD@example.com' });
    const fresh = await signup({ name: 'Someone', email: 'new@example.com' });
    expect(known.status).toBe(202);
    expect(fresh.status).toBe(202);
    expect(await known.text()).toBe(await fresh.text());
    for (const header of ['content-type', 'content-length', 'set-cookie', 'retry-after'])
      expect(known.headers.get(header)).toBe(fresh.headers.get(header));
    await deliver();
    await smtp.waitFor(2);
    const toKnown = smtp.received.find((m) => m.envelopeTo[0] === 'old@example.com')!;
    expect(toKnown.parsed.subject).toBe('You already have an account');
    expect(toKnown.parsed.text).toContain('Hello Old Hand,');
    expect(toKnown.parsed.text).not.toContain('token=');
    expect(smtp.received.find((m) => m.envelopeTo[0] === 'new@example.com')!.parsed.subject).toBe('Confirm your email address');
    expect(await t.deps.db.selectFrom('signup_requests').select('email').execute()).toEqual([{ email: 'new@example.com' }]);
    expect(await affiliates()).toHaveLength(1);
  });

  it('of two links for one address, only the first confirmed makes an account', async () => {
    await signup({ name: 'Nova', email: 'nova@example.com' });
    const first = await mailedLink('nova@example.com');
    await signup({ name: 'Nova again', email: 'nova@example.com' });
    const second = await mailedLink('nova@example.com');
    expect(second.token).not.toBe(first.token);
    expect((await t.request('/v1/signup/verify', { method: 'POST', json: { token: second.token } })).status).toBe(201);
    const other = await t.request('/v1/signup/verify', { method: 'POST', json: { token: first.token } });
    expect(other.status).toBe(409);
    expect(((await other.json()) as { error: { message: string } }).error.message).toBe(
      'this address already has an account; sign in with your API key',
    );
    expect(await affiliates()).toEqual([{ id: 1, name: 'Nova again', email: 'nova@example.com' }]);
  });

  it('throttles per email address and per client address with 429 and Retry-After', async () => {
    for (let i = 0; i < 3; i++)
      expect((await signup({ name: 'N', email: 'flood@example.com' }, `192.0.2.${i}`)).status).toBe(202);
    const perEmail = await signup({ name: 'N', email: 'flood@example.com' }, '192.0.2.50');
    expect(perEmail.status).toBe(429);
    expect(Number(perEmail.headers.get('retry-after'))).toBeGreaterThan(3500);
    expect(((await perEmail.json()) as { error: { code: string } }).error.code).toBe('rate_limited');

    for (let i = 0; i < 10; i++) expect((await signup({ name: 'N', email: `a${i}@example.com` }, '192.0.2.99')).status).toBe(202);
    expect((await signup({ name: 'N', email: 'a10@example.com' }, '192.0.2.99')).status).toBe(429);
    // Another address is still served; an hour later the first one is too.
    expect((await signup({ name: 'N', email: 'b@example.com' }, '192.0.2.100')).status).toBe(202);
    t.clock.advance(3600_000);
    expect((await signup({ name: 'N', email: 'a11@example.com' }, '192.0.2.99')).status).toBe(202);
    expect(await t.deps.db.selectFrom('mail_outbox').select('id').execute()).toHaveLength(3 + 10 + 2);
  });

  it('refuses bad input with 422 and changes nothing', async () => {
    expect((await signup({ name: 'N', email: 'not-an-email' })).status).toBe(422);
    expect((await signup({ name: '', email: 'a@example.com' })).status).toBe(422);
    expect((await signup({ name: 'N', email: 'a@example.com', role: 'admin' })).status).toBe(422);
    expect((await t.request('/v1/signup/verify', { method: 'POST', json: { token: 'short' } })).status).toBe(422);
    expect(await t.deps.db.selectFrom('mail_outbox').select('id').execute()).toEqual([]);
    expect(await t.deps.db.selectFrom('signup_requests').select('id').execute()).toEqual([]);
  });

  it('the admin turns public sign-up off: new requests and outstanding links get 403', async () => {
    await signup({ name: 'Nova', email: 'nova@example.com' });
    const { token } = await mailedLink('nova@example.com');
    expect(await (await t.request('/v1/admin/signup', { key: ADMIN_TOKEN })).json()).toEqual({ enabled: true });
    const off = await t.request('/v1/admin/signup', { method: 'PUT', key: ADMIN_TOKEN, json: { enabled: false } });
    expect(await off.json()).toEqual({ enabled: false });
    const refused = await signup({ name: 'Late', email: 'late@example.com' });
    expect(refused.status).toBe(403);
    expect((await t.request('/v1/signup/verify', { method: 'POST', json: { token } })).status).toBe(403);
    expect(await affiliates()).toEqual([]);
    // The sign-in page offers sign-up only while it is on.
    expect(await (await t.request('/app/login')).text()).not.toContain('href="/app/signup"');
    await t.request('/v1/admin/signup', { method: 'PUT', key: ADMIN_TOKEN, json: { enabled: true } });
    expect(await (await t.request('/app/login')).text()).toContain('href="/app/signup"');
    expect((await t.request('/v1/signup/verify', { method: 'POST', json: { token } })).status).toBe(201);
  });

  it('the /app/signup form sends the same link, through the same throttle', async () => {
    const form = await t.request('/app/signup');
    expect(form.status).toBe(200);
    const cookie = form.headers.get('set-cookie')!.split(';')[0]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())![1]!;
    const post = (email: string) =>
      t.request('/app/signup', {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', [TEST_IP_HEADER]: '198.51.100.20' },
        body: new URLSearchParams({ csrf, name: '<i>Nova</i>', email }).toString(),
      });
    const sent = await post('nova@example.com');
    expect(sent.status).toBe(202);
    expect(await sent.text()).toContain('Check your inbox');
    const { path } = await mailedLink('nova@example.com');
    expect(smtp.received[0]!.parsed.html).toContain('Hello &lt;i&gt;Nova&lt;/i&gt;,');
    expect((await t.request(path)).status).toBe(200);
    await post('nova@example.com');
    await post('nova@example.com');
    const throttled = await post('nova@example.com');
    expect(throttled.status).toBe(429);
    expect(await throttled.text()).toContain('Too many sign-up requests');
  });
});
