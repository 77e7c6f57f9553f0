import { createHmac } from 'node:crypto';
import type { TestApp } from './test-app';

/** Base64 HMAC-SHA256 of the raw body, as Shopify and WooCommerce compute it (node:crypto, not our verifier). */
export function platformSignature(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body, 'utf8').digest('base64');
}

export async function setConnectorSecret(
  t: TestApp,
  merchantKey: string,
  programId: string,
  platform: string,
  body: Record<string, unknown>,
) {
  const response = await t.request(`/v1/programs/${programId}/connectors/${platform}`, {
    method: 'PUT',
    key: merchantKey,
    json: body,
  });
  if (response.status !== 200) throw new Error(`connector settings: ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}

let deliveries = 0;

export function sendShopify(
  t: TestApp,
  programId: string,
  secret: string,
  topic: string,
  body: string,
  options: { webhookId?: string; eventId?: string | null; signature?: string } = {},
) {
  const n = ++deliveries;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-shopify-topic': topic,
    'x-shopify-hmac-sha256': options.signature ?? platformSignature(secret, body),
    'x-shopify-shop-domain': 'acme-shoes.myshopify.com',
    'x-shopify-api-version': '2025-10',
    'x-shopify-webhook-id': options.webhookId ?? `b54557e4-bdd9-4b37-8a5f-bf7d70b${String(n).padStart(5, '0')}`,
    'x-shopify-triggered-at': '2026-11-25T11:00:01.000Z',
  };
  if (options.eventId !== null)
    headers['x-shopify-event-id'] = options.eventId ?? `98880550-7158-44d4-b7cd-2c9${String(n).padStart(5, '0')}`;
  return t.request(`/v1/connectors/shopify/${programId}`, { method: 'POST', headers, body });
}
