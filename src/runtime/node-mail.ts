import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { MailRefused, type MailTransport, type OutgoingMail } from '../mail/mail-transport';

/**
 * Mail on Node through nodemailer: to the SMTP server SMTP_URL names, or, without one, as `.eml`
 * files under DATA_DIR/mail/ (the development default: open them with any mail reader).
 */
export function nodeMailTransport(settings: { smtpUrl?: string | undefined; dataDir: string }): MailTransport {
  if (settings.smtpUrl) return smtpTransport(settings.smtpUrl);
  return emlFileTransport(join(settings.dataDir, 'mail'));
}

function message(mail: OutgoingMail) {
  return { messageId: mail.messageId, from: mail.from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html };
}

function smtpTransport(url: string): MailTransport {
  const transporter = nodemailer.createTransport({
    url,
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 30_000,
  });
  return {
    async send(mail) {
      try {
        await transporter.sendMail(message(mail));
      } catch (error) {
        const code = (error as { responseCode?: number }).responseCode;
        // 5xx is the server's final word on this message; 4xx and network trouble may pass.
        if (code !== undefined && code >= 500 && code < 600) throw new MailRefused((error as Error).message);
        throw error;
      }
    },
  };
}

function emlFileTransport(dir: string): MailTransport {
  const builder = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    async send(mail) {
      const info = await builder.sendMail(message(mail));
      mkdirSync(dir, { recursive: true });
      // Named by the Message-ID, so a retry after a crash rewrites the same file; written
      // whole under a temporary name first, so a reader never sees half a message.
      const name = mail.messageId.replace(/[^A-Za-z0-9.@-]/g, '');
      const path = join(dir, `${name}.eml`);
      writeFileSync(`${path}.tmp`, info.message as Buffer);
      renameSync(`${path}.tmp`, path);
    },
  };
}
