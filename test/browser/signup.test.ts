import type { AddressInfo } from 'node:net';
import { mkdirSync } from 'node:fs';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendPendingMail } from '../../src/mail/mail-outbox';
import { nodeMailTransport } from '../../src/runtime/node-mail';
import { hasChromium, openBrowser } from '../support/browser';
import { startSmtpServer } from '../support/smtp-server';
import { approve, createMerchant, createProgram, startTestApp, type TestApp } from '../support/test-app';

/**
 * Sign-up as a person does it, in chromium: the form, the mail (a real SMTP server), the link,
 * the one button, the key, then a link of their own and its first tracked click. Every action
 * the person takes is counted (the goal: sign-up to first click in under 3 minutes of a
 * person's time, about ten actions).
 */
describe.skipIf(!hasChromium)('sign-up in the browser', () => {
  let t: TestApp;
  let server: ServerType;
  let base: string;
  let browser: Awaited<ReturnType<typeof openBrowser>>;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;

  beforeAll(async () => {
    mkdirSync('test-results/dashboards', { recursive: true });
    t = await startTestApp();
    smtp = await startSmtpServer();
    server = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // The emailed link and tracking URLs point at this server.
    t.deps.config.publicUrl = base;
    browser = await openBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
    await smtp?.close();
    await t?.close();
  });

  it('from the sign-in page to the first tracked click', async () => {
    const merchant = await createMerchant(t, 'Outdoor Shop');
    const program = await createProgram(t, merchant.apiKey);
    const started = Date.now();
    const steps: string[] = [];
    const page = await browser.context.newPage();

    await page.goto(`${base}/app/login`);
    await page.getByRole('link', { name: 'Sign up' }).click();
    steps.push('open "Sign up"');
    await page.waitForURL(/\/app\/signup$/);
    await page.getByLabel('Your name or company').fill('Trail Reviews');
    steps.push('type name');
    await page.getByLabel('Email', { exact: true }).fill('hello@trail-reviews.example');
    steps.push('type email');
    await page.getByRole('button', { name: 'Send me the link' }).click();
    steps.push('send');
    await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();
    expect(await t.deps.db.selectFrom('affiliates').select('id').execute()).toEqual([]);

    // The server's mail timer, then the person's inbox.
    await sendPendingMail({
      ...t.deps,
      transport: nodeMailTransport({ smtpUrl: smtp.url, dataDir: t.dir }),
      from: 'clickledger <noreply@clickledger.test>',
    });
    const [mail] = await smtp.waitFor(1);
    expect(mail!.envelopeTo).toEqual(['hello@trail-reviews.example']);
    const link = /href="([^"]+)"/.exec(String(mail!.parsed.html))![1]!.replaceAll('&amp;', '&');
    expect(link.startsWith(`${base}/app/signup/verify?token=`)).toBe(true);
    await page.goto(link);
    steps.push('open the link in the mail');
    expect(await t.deps.db.selectFrom('affiliates').select('id').execute()).toEqual([]);
    await page.getByRole('button', { name: 'Create my account' }).click();
    steps.push('create my account');
    const apiKey = (await (await page.waitForSelector('[data-testid=api-key]')).textContent())!.trim();
    expect(apiKey).toMatch(/^cl_aff_/);
    await page.screenshot({ path: 'test-results/dashboards/signup-welcome.png', fullPage: true });

    // The merchant's side (not the affiliate's time): approve the new affiliate into the program.
    const affiliate = (await t.deps.db.selectFrom('affiliates').select('id').executeTakeFirstOrThrow()).id;
    await approve(t, merchant.apiKey, program.id, `aff_${affiliate}`);

    // Signed in already: the link builder, a link, its first click.
    await page.getByRole('link', { name: 'Link builder' }).click();
    steps.push('open the link builder');
    await page.waitForURL(/\/app\/affiliate\/links$/);
    await page.locator('select[name=programId]').selectOption(program.id);
    steps.push('choose the program');
    await page.getByRole('button', { name: 'Create link' }).click();
    steps.push('create link');
    const trackingUrl = await (await page.waitForSelector('[data-testid=created-url]')).inputValue();
    expect(trackingUrl.startsWith(`${base}/c/`)).toBe(true);
    // A visitor clicks it (the shop's landing page is off this closed network: the redirect is enough).
    const click = await page.request.get(trackingUrl, { maxRedirects: 0 });
    steps.push('share the link; a visitor clicks');
    expect(click.status()).toBe(302);
    expect(click.headers().location).toMatch(/^https:\/\/shop\.example\/landing\?/);
    await t.deps.clicks.flush();
    const clicks = await t.deps.db.selectFrom('clicks').select(['affiliate_id', 'program_id']).execute();
    expect(clicks).toEqual([{ affiliate_id: affiliate, program_id: Number(program.id.replace(/\D/g, '')) }]);

    expect(steps).toHaveLength(10);
    expect(Date.now() - started).toBeLessThan(180_000);
  }, 120_000);
});
