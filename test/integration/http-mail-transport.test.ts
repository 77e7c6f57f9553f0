import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signupVerifyMail } from '../../src/domain/mail-templates';
import { httpMailTransport } from '../../src/mail/http-mail-transport';
import { queueMail, sendPendingMail } from '../../src/mail/mail-outbox';
import { startTestApp, type TestApp } from '../support/test-app';

interface Posted {
  authorization: string | undefined;
  body: { from: string; to: string[]; subject: string; text: string; html: string; headers: Record<string, string> };
}

/** The Workers path (an HTTP mail API) driven from Node against a real local HTTP server. */
describe('mail through an HTTP mail API', () => {
  let t: TestApp;
  let server: ReturnType<typeof createServer>;
  let url: string;
  const posted: Posted[] = [];
  let answers: number[] = [];
  beforeEach(async () => {
    t = await startTestApp();
    posted.length = 0;
    server = createServer((req: IncomingMessage, res) => {
      let data = '';
      req.on('data', (chunk: Buffer) => (data += chunk.toString()));
      req.on('end', () => {
        posted.push({ authorization: req.headers.authorization, body: JSON.parse(data) as Posted['body'] });
        res.writeHead(answers.shift() ?? 200, { 'content-type': 'application/json' }).end('{"id":"x"}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/emails`;
  });
  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
    await t.close();
  });

  const content = signupVerifyMail({ name: 'Eve', link: 'https://go.example/x?token=t', expiresAt: '2026-11-26T10:00:00.000Z' });
  const run = () =>
    sendPendingMail({
      ...t.deps,
      transport: httpMailTransport({ url, token: 'secret-token', fetch }),
      from: 'Shop <no@mail.example>',
    });

  it('posts each message once with the bearer token, retries 503 and 429, fails a 422 for good', async () => {
    answers = [503, 422];
    await t.deps.writes.commit([
      queueMail(t.deps, { template: 'signup_verify', to: 'later@example.com', content }),
      queueMail(t.deps, { template: 'signup_verify', to: 'bad@example.com', content }),
    ]);
    expect(await run()).toEqual({ attempted: 2, sent: 0, failed: 1 });
    expect(posted.map((p) => p.body.to)).toEqual([['later@example.com'], ['bad@example.com']]);
    expect(posted[0]).toMatchObject({
      authorization: 'Bearer secret-token',
      body: { from: 'Shop <no@mail.example>', subject: 'Confirm your email address', text: content.text, html: content.html },
    });
    expect(posted[0]!.body.headers['Message-ID']).toMatch(/^<mail-1\.\d+@mail\.example>$/);
    answers = [429];
    t.clock.advance(67_000);
    expect(await run()).toEqual({ attempted: 1, sent: 0, failed: 0 });
    t.clock.advance(6 * 60_000);
    expect(await run()).toEqual({ attempted: 1, sent: 1, failed: 0 });
    const rows = await t.deps.db
      .selectFrom('mail_outbox')
      .select(['recipient', 'status', 'attempts', 'last_error'])
      .orderBy('id')
      .execute();
    expect(rows).toEqual([
      { recipient: 'later@example.com', status: 'sent', attempts: 3, last_error: null },
      { recipient: 'bad@example.com', status: 'failed', attempts: 1, last_error: 'mail API answered 422: {"id":"x"}' },
    ]);
    // The same Message-ID on every attempt of one row.
    const ids = posted.filter((p) => p.body.to[0] === 'later@example.com').map((p) => p.body.headers['Message-ID']);
    expect(new Set(ids).size).toBe(1);
    expect(ids).toHaveLength(3);
  });
});
