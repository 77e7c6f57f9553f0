/**
 * Every message the service mails, in one place: each template gives a subject, a plain-text body
 * and an HTML body from plain values. Every value enters the HTML through `escapeHtml`, so a name
 * such as `<b>Eve</b>` arrives as text, never as markup.
 */
export interface MailContent {
  subject: string;
  text: string;
  html: string;
}

export type MailTemplate = 'signup_verify' | 'signup_known';

export function escapeHtml(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

function page(paragraphs: string[]): string {
  const body = paragraphs.map((p) => `<p style="margin:0 0 12px">${p}</p>`).join('\n');
  return (
    '<!doctype html><html><body style="font-family:system-ui,sans-serif;font-size:15px;color:#1f2933">\n' +
    `${body}\n<p style="margin:24px 0 0;color:#616e7c;font-size:13px">clickledger</p>\n</body></html>`
  );
}

/** The sign-up verification: the single-use link that creates the affiliate. */
export function signupVerifyMail(input: { name: string; link: string; expiresAt: string }): MailContent {
  const subject = 'Confirm your email address';
  const text =
    `Hello ${input.name},\n\n` +
    'Open this link to confirm your address and create your affiliate account:\n\n' +
    `${input.link}\n\n` +
    `The link works once and expires at ${input.expiresAt} (UTC). ` +
    'If you did not sign up, ignore this message: nothing is created without it.\n';
  const html = page([
    `Hello ${escapeHtml(input.name)},`,
    'Open this link to confirm your address and create your affiliate account:',
    `<a href="${escapeHtml(input.link)}">Confirm my address</a>`,
    `The link works once and expires at ${escapeHtml(input.expiresAt)} (UTC). ` +
      'If you did not sign up, ignore this message: nothing is created without it.',
  ]);
  return { subject, text, html };
}

/**
 * A sign-up for an address that already has an account: told to its owner by mail, while the
 * person who submitted the form sees the same answer as for a new address (no enumeration).
 */
export function signupKnownMail(input: { name: string }): MailContent {
  const subject = 'You already have an account';
  const text =
    `Hello ${input.name},\n\n` +
    'Someone asked to sign up with this address, which already has an affiliate account. ' +
    'No new account was made. Sign in with your API key; if you lost it, ask the program manager for a new one.\n' +
    'If this was not you, ignore this message.\n';
  const html = page([
    `Hello ${escapeHtml(input.name)},`,
    'Someone asked to sign up with this address, which already has an affiliate account. ' +
      'No new account was made. Sign in with your API key; if you lost it, ask the program manager for a new one.',
    'If this was not you, ignore this message.',
  ]);
  return { subject, text, html };
}
