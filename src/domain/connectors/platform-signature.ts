import { constantTimeEqual } from '../constant-time';
import { decodeBase64 } from '../base64url';
import type { Hmac } from '../webhook-signature';

/**
 * Shopify (`X-Shopify-Hmac-Sha256`) and WooCommerce (`X-WC-Webhook-Signature`) sign the same way:
 * base64 of HMAC-SHA256 over the raw body bytes, keyed with the secret's UTF-8 bytes. Neither
 * signs a timestamp, so replays are stopped by deduplication, not here. Every active key is tried
 * and every comparison runs in full (rotation; P6, P7).
 */
export function verifyPlatformSignature(
  header: string | undefined,
  body: Uint8Array,
  secrets: readonly string[],
  hmac: Hmac,
): { ok: true } | { ok: false; reason: 'missing_signature' | 'no_matching_signature' } {
  if (!header) return { ok: false, reason: 'missing_signature' };
  const offered = decodeBase64(header.trim());
  let matched = false;
  for (const secret of secrets) {
    const expected = hmac(new TextEncoder().encode(secret), body);
    if (offered && constantTimeEqual(expected, offered)) matched = true;
  }
  return matched ? { ok: true } : { ok: false, reason: 'no_matching_signature' };
}
