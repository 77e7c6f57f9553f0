import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterEach, describe, expect, it } from 'vitest';
import { removeDir, type ServerProcess, startServer } from '../support/server-process';
import { startSmtpServer } from '../support/smtp-server';

/** The real server's mail timer, configured by SMTP_URL (or not), as an operator runs it. */
describe('mail from the running server', () => {
  let server: ServerProcess | undefined;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>> | undefined;
  afterEach(async () => {
    await server?.kill();
    if (server) removeDir(server.dataDir);
    await smtp?.close();
    server = undefined;
    smtp = undefined;
  });

  const post = (path: string, body: unknown) =>
    fetch(`${server!.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('sends the sign-up link to SMTP_URL on its timer; the link then creates the affiliate', async () => {
    smtp = await startSmtpServer();
    server = await startServer({
      env: {
        BATCH_INTERVAL_SECONDS: '0',
        SMTP_URL: smtp.url,
        MAIL_FROM: 'Partners <partners@shop.example>',
        MAIL_INTERVAL_SECONDS: '1',
      },
    });
    expect(server.output()).toContain(`mail: SMTP at ${new URL(smtp.url).host}`);
    expect((await post('/v1/signup', { name: 'Nova', email: 'nova@example.com' })).status).toBe(202);
    const [mail] = await smtp.waitFor(1, 15_000);
    expect(mail!.parsed.from?.value[0]?.address).toBe('partners@shop.example');
    const token = decodeURIComponent(/token=([A-Za-z0-9_%-]+)/.exec(mail!.parsed.text ?? '')![1]!);
    const made = await post('/v1/signup/verify', { token });
    expect(made.status).toBe(201);
    expect(await made.json()).toMatchObject({ id: 'aff_1', email: 'nova@example.com' });
  }, 60_000);

  it('without SMTP_URL writes each message as an .eml file under DATA_DIR/mail/', async () => {
    server = await startServer({ env: { BATCH_INTERVAL_SECONDS: '0', MAIL_INTERVAL_SECONDS: '1' } });
    expect(server.output()).toContain(`mail: .eml files in ${server.dataDir}/mail`);
    expect((await post('/v1/signup', { name: 'Nova', email: 'nova@example.com' })).status).toBe(202);
    const dir = join(server.dataDir, 'mail');
    const until = Date.now() + 15_000;
    while (!(existsSync(dir) && readdirSync(dir).some((f) => f.endsWith('.eml'))) && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const files = readdirSync(dir).filter((f) => f.endsWith('.eml'));
    expect(files).toHaveLength(1);
    const parsed = await simpleParser(readFileSync(join(dir, files[0]!)));
    expect(parsed.subject).toBe('Confirm your email address');
    expect(parsed.text).toMatch(/\/app\/signup\/verify\?token=/);
  }, 60_000);
});
