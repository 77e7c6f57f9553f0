import { MailRefused, type MailTransport } from './mail-transport';

/**
 * Mail through an HTTP mail API, for runtimes without SMTP (Workers): one POST per message to
 * MAIL_API_URL with `Authorization: Bearer MAIL_API_TOKEN` and the JSON body
 * `{from, to: [address], subject, text, html, headers: {"Message-ID": …}}` (Resend's shape; a
 * small relay adapts it to any other provider). 2xx is sent; 408, 429 and 5xx are tried again;
 * any other 4xx is the provider's final word on this message.
 */
export function httpMailTransport(settings: {
  url: string;
  token?: string | undefined;
  fetch: typeof fetch;
  timeoutMs?: number;
}): MailTransport {
  return {
    async send(mail) {
      const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'clickledger-mail/1' };
      if (settings.token) headers.authorization = `Bearer ${settings.token}`;
      const response = await settings.fetch(settings.url, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          from: mail.from,
          to: [mail.to],
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
          headers: { 'Message-ID': mail.messageId },
        }),
        redirect: 'manual',
        signal: AbortSignal.timeout(settings.timeoutMs ?? 15_000),
      });
      const answer = (await response.text()).slice(0, 300);
      if (response.status >= 200 && response.status < 300) return;
      const message = `mail API answered ${response.status}: ${answer}`;
      if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
        throw new MailRefused(message);
      }
      throw new Error(message);
    },
  };
}
