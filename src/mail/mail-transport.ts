/** One message as the sender hands it to a transport: already rendered, addressed and named. */
export interface OutgoingMail {
  /** The same on every attempt of one outbox row, so a receiver can spot a repeat. */
  messageId: string;
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

/**
 * Where mail leaves: SMTP or `.eml` files on Node (runtime/node-mail.ts). It resolves once the
 * message is accepted, and throws otherwise; a `MailRefused` says trying again cannot help.
 */
export interface MailTransport {
  send(mail: OutgoingMail): Promise<void>;
}

/** The server refused the message for good (an SMTP 5xx): retrying would be refused again. */
export class MailRefused extends Error {
  override name = 'MailRefused';
}
