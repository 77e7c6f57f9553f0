import { decodeBase64, encodeBase64 } from './base64url';
import { constantTimeEqual } from './constant-time';

/**
 * Standard Webhooks verification (webhook-id, webhook-timestamp, webhook-signature): HMAC-SHA256
 * over `id.timestamp.` and the raw body bytes, never a re-serialised body (P7); a timestamp at
 * most five minutes away in either direction; any of the merchant's active secrets (P6).
 */
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;

export type WebhookFailure =
  'missing_headers' | 'bad_timestamp' | 'timestamp_too_old' | 'timestamp_too_new' | 'no_matching_signature';

export interface WebhookHeaders {
  id: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
}

/** HMAC-SHA256 of the parts as one message (strings as UTF-8). */
export type Hmac = (key: Uint8Array, ...parts: (Uint8Array | string)[]) => Uint8Array;

/** The key bytes of a `whsec_…` secret. */
export function webhookSecretKey(secret: string): Uint8Array | undefined {
  return decodeBase64(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret);
}

/**
 * What a Standard Webhooks signature covers, as the parts an HMAC takes in order: `id.timestamp.`
 * then the body (never joined into a copy). Signing and verifying both use it.
 */
export function signedContent(id: string, timestamp: string, body: Uint8Array): [string, Uint8Array] {
  return [`${id}.${timestamp}.`, body];
}

/** The `webhook-signature` header for one message: what `verifyWebhook` (and any Standard Webhooks library) accepts. */
export function signWebhook(id: string, timestamp: string, body: Uint8Array, key: Uint8Array, hmac: Hmac): string {
  return `v1,${encodeBase64(hmac(key, ...signedContent(id, timestamp, body)))}`;
}

export function verifyWebhook(
  headers: WebhookHeaders,
  body: Uint8Array,
  keys: readonly Uint8Array[],
  nowSeconds: number,
  hmac: Hmac,
): { ok: true } | { ok: false; reason: WebhookFailure } {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature) return { ok: false, reason: 'missing_headers' };
  if (!/^[0-9]{1,12}$/.test(timestamp)) return { ok: false, reason: 'bad_timestamp' };
  const sentAt = Number(timestamp);
  if (nowSeconds - sentAt > WEBHOOK_TOLERANCE_SECONDS) return { ok: false, reason: 'timestamp_too_old' };
  if (sentAt - nowSeconds > WEBHOOK_TOLERANCE_SECONDS) return { ok: false, reason: 'timestamp_too_new' };
  const offered: Uint8Array[] = [];
  for (const part of signature.split(' ')) {
    if (!part.startsWith('v1,')) continue;
    const bytes = decodeBase64(part.slice(3));
    if (bytes) offered.push(bytes);
  }
  const content = signedContent(id, timestamp, body);
  let matched = false;
  for (const key of keys) {
    const expected = hmac(key, ...content);
    // Every candidate is compared in full, so the time taken says nothing about which matched.
    for (const candidate of offered) if (constantTimeEqual(expected, candidate)) matched = true;
  }
  return matched ? { ok: true } : { ok: false, reason: 'no_matching_signature' };
}
