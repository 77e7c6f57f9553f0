import { expandPostback, type PostbackMacro } from './outbound-events';
import type { Hmac } from './webhook-signature';

/**
 * How an affiliate's postback leaves (docs/webhooks.md, "Affiliate postbacks"): `GET` on the
 * expanded URL by default; `POST` with the macro values as a JSON body for trackers that take
 * one; and, with a secret, an HMAC header for receivers that check who called. The stored
 * options (method, secret per URL) are not in the schema yet: the dispatcher passes the default.
 */
export interface PostbackOptions {
  method: 'GET' | 'POST';
  /** Signs the request when set: `x-clickledger-signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`. */
  secret?: string | null;
}

export const POSTBACK_SIGNATURE_HEADER = 'x-clickledger-signature';

export interface PostbackRequest {
  url: string;
  init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string };
}

/**
 * The request for one postback. What is signed is `<t>.<body>` for a POST and `<t>.<url>` for a
 * GET (the URL carries the values there), so a receiver checks exactly the bytes it got, and the
 * timestamp lets it refuse a replay of an old call.
 */
export function postbackRequest(
  template: string,
  values: Record<PostbackMacro, string>,
  options: PostbackOptions,
  timestamp: string,
  hmac: Hmac,
): PostbackRequest {
  const url = expandPostback(template, values);
  const headers: Record<string, string> = { 'user-agent': 'clickledger-postbacks/1' };
  const body = options.method === 'POST' ? JSON.stringify(values) : undefined;
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (options.secret) {
    const mac = hmac(new TextEncoder().encode(options.secret), `${timestamp}.`, body ?? url);
    headers[POSTBACK_SIGNATURE_HEADER] = `t=${timestamp},v1=${hex(mac)}`;
  }
  return { url, init: body === undefined ? { method: options.method, headers } : { method: options.method, headers, body } };
}

function hex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}
