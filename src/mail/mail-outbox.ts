import type { CompiledQuery, Kysely } from 'kysely';
import type { AppCrypto, Clock, Logger } from '../core/deps';
import type { MailContent, MailTemplate } from '../domain/mail-templates';
import { retryDelayMs } from '../domain/outbound-events';
import type { Database } from '../store/database';
import { MailRefused, type MailTransport } from './mail-transport';

/**
 * The statement that queues one message, for the caller's unit of work: it commits with its
 * cause or not at all, and nothing is sent until a sender run picks it up after the commit.
 */
export function queueMail(
  deps: { db: Kysely<Database>; clock: Clock },
  message: { template: MailTemplate; to: string; content: MailContent },
): CompiledQuery {
  const now = deps.clock.now().toISOString();
  return deps.db
    .insertInto('mail_outbox')
    .values({
      template: message.template,
      recipient: message.to,
      subject: message.content.subject,
      text_body: message.content.text,
      html_body: message.content.html,
      status: 'pending',
      next_attempt_at: now,
      created_at: now,
    })
    .compile();
}

export interface MailSenderDeps {
  db: Kysely<Database>;
  clock: Clock;
  crypto: Pick<AppCrypto, 'randomBytes'>;
  log: Logger;
  transport: MailTransport;
  /** MAIL_FROM: the sender address of every message. */
  from: string;
}

export interface MailSendReport {
  attempted: number;
  sent: number;
  failed: number;
}

/** A claimed row not marked within this long is taken to be lost with its sender and tried again. */
export const MAIL_LEASE_MS = 5 * 60_000;
const running = new WeakMap<Kysely<Database>, Promise<MailSendReport>>();

/**
 * One sender run: claims the due messages, sends them one after another and marks each sent,
 * pending again with a backoff (1 min, 5 min, 30 min, 2 h, 12 h) or failed. A run while another is
 * in progress on the same store joins it. Called by the server's mail timer, never by a request.
 */
export function sendPendingMail(deps: MailSenderDeps, options: { limit?: number } = {}): Promise<MailSendReport> {
  const current = running.get(deps.db);
  if (current) return current;
  const run = runOnce(deps, options.limit ?? 100).finally(() => running.delete(deps.db));
  running.set(deps.db, run);
  return run;
}

async function runOnce(deps: MailSenderDeps, limit: number): Promise<MailSendReport> {
  const now = deps.clock.now();
  const leaseUntil = new Date(now.getTime() + MAIL_LEASE_MS).toISOString();
  const due = deps.db
    .selectFrom('mail_outbox')
    .select('id')
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', now.toISOString())
    .orderBy('next_attempt_at')
    .limit(limit);
  // The claim is one statement: a second sender (another process on the same file) finds the
  // rows' next attempt already moved past now and leaves them.
  const claimed = await deps.db
    .updateTable('mail_outbox')
    .set({ next_attempt_at: leaseUntil })
    .where('id', 'in', due)
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', now.toISOString())
    .returning(['id', 'recipient', 'subject', 'text_body', 'html_body', 'attempts', 'created_at'])
    .execute();
  const report: MailSendReport = { attempted: claimed.length, sent: 0, failed: 0 };
  for (const row of claimed.sort((a, b) => a.id - b.id)) {
    let error: unknown;
    try {
      await deps.transport.send({
        messageId: `<mail-${row.id}.${Date.parse(row.created_at)}@${fromDomain(deps.from)}>`,
        from: deps.from,
        to: row.recipient,
        subject: row.subject,
        text: row.text_body,
        html: row.html_body,
      });
    } catch (caught) {
      error = caught;
    }
    const at = deps.clock.now();
    const attempts = row.attempts + 1;
    if (error === undefined) {
      report.sent++;
      await deps.db
        .updateTable('mail_outbox')
        .set({
          status: 'sent',
          attempts,
          sent_at: at.toISOString(),
          next_attempt_at: null,
          last_error: null,
          text_body: '',
          html_body: '',
        })
        .where('id', '=', row.id)
        .execute();
      continue;
    }
    const delay = error instanceof MailRefused ? undefined : retryDelayMs(attempts, deps.crypto.randomBytes(1)[0]! / 256);
    if (delay === undefined) report.failed++;
    await deps.db
      .updateTable('mail_outbox')
      .set({
        status: delay === undefined ? 'failed' : 'pending',
        attempts,
        last_error: String(error instanceof Error ? error.message : error).slice(0, 1000),
        next_attempt_at: delay === undefined ? null : new Date(at.getTime() + delay).toISOString(),
      })
      .where('id', '=', row.id)
      .execute();
    if (delay === undefined) deps.log.error('mail failed for good', { mail: row.id, error: String(error) });
  }
  return report;
}

function fromDomain(from: string): string {
  const address = /<([^>]+)>/.exec(from)?.[1] ?? from;
  const domain = address.slice(address.lastIndexOf('@') + 1).trim();
  return /^[A-Za-z0-9.-]+$/.test(domain) ? domain : 'clickledger.invalid';
}
