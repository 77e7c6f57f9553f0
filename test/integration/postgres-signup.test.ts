import { afterAll, describe, expect, it } from 'vitest';
import type { AppDeps } from '../../src/core/deps';
import { sendPendingMail } from '../../src/mail/mail-outbox';
import { nodeCrypto } from '../../src/runtime/node-crypto';
import { nodeMailTransport } from '../../src/runtime/node-mail';
import { openPostgres } from '../../src/store/postgres/postgres-open';
import { requestSignup, verifySignup } from '../../src/use-cases/signup';
import { hasPostgres, postgresForFile, postgresSkipReason } from '../support/postgres-cluster';
import { startSmtpServer } from '../support/smtp-server';
import { TestClock } from '../support/test-app';

// Migrations 0018 and 0019's PostgreSQL twins: the mail outbox and sign-up, with the used-once
// trigger raising what the use-case matches, against a throw-away cluster and a real SMTP server.
describe.skipIf(!hasPostgres)(`sign-up and mail on PostgreSQL${postgresSkipReason ? ` (${postgresSkipReason})` : ''}`, () => {
  const postgres = postgresForFile(afterAll);

  it('queues the link, sends it, creates the affiliate once from it and refuses it again', async () => {
    const store = await openPostgres({ url: await postgres.database(), maxConnections: 2 });
    const smtp = await startSmtpServer();
    try {
      const clock = new TestClock();
      const deps = {
        db: store.db,
        writes: store.writes,
        crypto: nodeCrypto,
        clock,
        config: { publicUrl: 'https://go.example', bodyLimitBytes: 1024 },
      } satisfies Pick<AppDeps, 'db' | 'writes' | 'crypto' | 'clock' | 'config'>;
      await requestSignup(deps, { name: 'Pg Partner', email: 'PG@example.com' });
      const log = { info: () => {}, error: () => {} };
      const sent = await sendPendingMail({
        ...deps,
        log,
        transport: nodeMailTransport({ smtpUrl: smtp.url, dataDir: '/nonexistent' }),
        from: 'x <noreply@example.com>',
      });
      expect(sent).toEqual({ attempted: 1, sent: 1, failed: 0 });
      const [mail] = await smtp.waitFor(1);
      const token = decodeURIComponent(/token=([A-Za-z0-9_%-]+)/.exec(mail!.parsed.text ?? '')![1]!);
      const made = await verifySignup(deps, token);
      expect(made).toMatchObject({ id: 'aff_1', name: 'Pg Partner', email: 'pg@example.com' });
      await expect(verifySignup(deps, token)).rejects.toThrow('this sign-up link was already used; sign in with your API key');
      const counts = await store.db
        .selectFrom('affiliates')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      expect(counts.n).toBe(1);
      expect(await store.db.selectFrom('mail_outbox').select(['status', 'text_body']).execute()).toEqual([
        { status: 'sent', text_body: '' },
      ]);
    } finally {
      await smtp.close();
      await store.close();
    }
  });
});
