import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signupVerifyMail } from '../../src/domain/mail-templates';
import { MAIL_LEASE_MS, queueMail, sendPendingMail } from '../../src/mail/mail-outbox';
import { nodeMailTransport } from '../../src/runtime/node-mail';
import { openSqlite } from '../../src/store/sqlite/sqlite-open';
import { startSmtpServer } from '../support/smtp-server';
import { startTestApp, type TestApp } from '../support/test-app';

const FROM = 'Clickledger <noreply@mail.clickledger.test>';
const content = signupVerifyMail({
  name: '<b>Eve</b> & co',
  link: 'https://go.example/app/signup/verify?token=abc&x=1',
  expiresAt: '2026-11-26T10:00:00.000Z',
});

describe('mail outbox', () => {
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

  const sender = (transport = nodeMailTransport({ smtpUrl: smtp.url, dataDir: t.dir }), deps = t.deps) => ({
    ...deps,
    transport,
    from: FROM,
  });
  const rows = () => t.deps.db.selectFrom('mail_outbox').selectAll().orderBy('id').execute();

  it('sends a queued message through a real SMTP server, text and escaped HTML, and marks it sent', async () => {
    await t.deps.writes.commit([queueMail(t.deps, { template: 'signup_verify', to: 'eve@example.com', content })]);
    expect(smtp.received).toHaveLength(0); // queued, not sent
    expect(await sendPendingMail(sender())).toEqual({ attempted: 1, sent: 1, failed: 0 });
    const [mail] = await smtp.waitFor(1);
    expect(mail!.envelopeTo).toEqual(['eve@example.com']);
    expect(mail!.parsed.subject).toBe('Confirm your email address');
    expect(mail!.parsed.from?.value[0]).toMatchObject({ name: 'Clickledger', address: 'noreply@mail.clickledger.test' });
    expect(mail!.parsed.text).toContain('Hello <b>Eve</b> & co,');
    expect(mail!.parsed.text).toContain('https://go.example/app/signup/verify?token=abc&x=1');
    expect(mail!.parsed.html).toContain('Hello &lt;b&gt;Eve&lt;/b&gt; &amp; co,');
    expect(mail!.parsed.html).toContain('href="https://go.example/app/signup/verify?token=abc&amp;x=1"');
    expect(mail!.parsed.messageId).toMatch(/^<mail-1\.\d+@mail\.clickledger\.test>$/);
    const [row] = await rows();
    expect(row).toMatchObject({ status: 'sent', attempts: 1, text_body: '', html_body: '', next_attempt_at: null });
    // A second run finds nothing due: sent once.
    expect(await sendPendingMail(sender())).toEqual({ attempted: 0, sent: 0, failed: 0 });
    expect(smtp.received).toHaveLength(1);
  });

  it('a message whose cause rolls back is never queued', async () => {
    await expect(
      t.deps.writes.commit([
        queueMail(t.deps, { template: 'signup_verify', to: 'eve@example.com', content }),
        t.deps.db.insertInto('settings').values({ key: 'x', value: '1' }).compile(),
        t.deps.db.insertInto('settings').values({ key: 'x', value: '2' }).compile(),
      ]),
    ).rejects.toThrow();
    expect(await rows()).toHaveLength(0);
    expect(await sendPendingMail(sender())).toEqual({ attempted: 0, sent: 0, failed: 0 });
  });

  it('retries a refused-for-now message after the backoff, and fails a refused-for-good one', async () => {
    let refusals = 1;
    smtp.state.refuse = (to) =>
      to === 'never@example.com'
        ? { code: 550, message: 'no such user' }
        : refusals-- > 0
          ? { code: 451, message: 'try later' }
          : undefined;
    await t.deps.writes.commit([
      queueMail(t.deps, { template: 'signup_verify', to: 'later@example.com', content }),
      queueMail(t.deps, { template: 'signup_verify', to: 'never@example.com', content }),
    ]);
    expect(await sendPendingMail(sender())).toEqual({ attempted: 2, sent: 0, failed: 1 });
    const [later, never] = await rows();
    expect(later).toMatchObject({ status: 'pending', attempts: 1 });
    const waitMs = Date.parse(later!.next_attempt_at!) - t.clock.now().getTime();
    expect(waitMs).toBeGreaterThanOrEqual(60_000);
    expect(waitMs).toBeLessThanOrEqual(66_000);
    expect(never).toMatchObject({ status: 'failed', attempts: 1, next_attempt_at: null });
    expect(never!.last_error).toContain('no such user');
    // Not due yet: nothing is tried.
    expect(await sendPendingMail(sender())).toEqual({ attempted: 0, sent: 0, failed: 0 });
    t.clock.advance(67_000);
    expect(await sendPendingMail(sender())).toEqual({ attempted: 1, sent: 1, failed: 0 });
    const received = await smtp.waitFor(1);
    expect(received.map((m) => m.envelopeTo[0])).toEqual(['later@example.com']);
    expect((await rows())[0]).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('a message claimed by a sender that died is sent once the lease ends, by another sender', async () => {
    await t.deps.writes.commit([queueMail(t.deps, { template: 'signup_verify', to: 'eve@example.com', content })]);
    // The first sender claims the row and never comes back (its process is gone).
    const stuck = sendPendingMail(sender({ send: () => new Promise(() => {}) }));
    await new Promise((r) => setTimeout(r, 50));
    const other = openSqlite({ path: join(t.dir, 'clickledger.sqlite'), synchronous: 'NORMAL' });
    try {
      const second = sender(undefined, { ...t.deps, db: other.db });
      expect(await sendPendingMail(second)).toEqual({ attempted: 0, sent: 0, failed: 0 }); // claimed
      t.clock.advance(MAIL_LEASE_MS + 1000);
      expect(await sendPendingMail(second)).toEqual({ attempted: 1, sent: 1, failed: 0 });
      await smtp.waitFor(1);
      expect((await rows())[0]).toMatchObject({ status: 'sent', attempts: 1 });
    } finally {
      await other.close();
    }
    void stuck;
  });

  it('without SMTP_URL each message is written as an .eml file under DATA_DIR/mail/', async () => {
    await t.deps.writes.commit([queueMail(t.deps, { template: 'signup_verify', to: 'eve@example.com', content })]);
    expect(await sendPendingMail(sender(nodeMailTransport({ dataDir: t.dir })))).toEqual({ attempted: 1, sent: 1, failed: 0 });
    const files = readdirSync(join(t.dir, 'mail'));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^mail-1\.\d+@mail\.clickledger\.test\.eml$/);
    const parsed = await simpleParser(readFileSync(join(t.dir, 'mail', files[0]!)));
    expect(parsed.subject).toBe('Confirm your email address');
    expect((parsed.to as { text: string }).text).toBe('eve@example.com');
    expect(parsed.html).toContain('Hello &lt;b&gt;Eve&lt;/b&gt; &amp; co,');
    expect(smtp.received).toHaveLength(0);
  });
});
