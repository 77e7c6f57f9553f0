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

/**
 * The intake refuses a date more than an hour after its arrival, and the fixtures tell of days
 * after the test clock's start: before each delivery the clock moves just far enough forward
 * for the latest time the delivery states (zoned timestamps and WooCommerce's `_gmt` fields),
 * so the tests keep their own sense of elapsed time (grace periods, lock days).
 */
function arriveNoEarlierThanStated(t: TestApp, body: string, headers: Record<string, string>) {
  const stated = [
    ...[...body.matchAll(/"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2}))"/g)].map((m) => m[1]!),
    ...[...body.matchAll(/"date_\w+_gmt":"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})"/g)].map((m) => `${m[1]!}Z`),
    ...Object.values(headers).filter((v) => /^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/.test(v)),
  ].map((text) => Date.parse(text));
  const earliestArrival = Math.max(...stated) - 3600 * 1000;
  if (earliestArrival > t.clock.now().getTime()) t.clock.current = new Date(earliestArrival);
}

export function sendShopify(
  t: TestApp,
  programId: string,
  secret: string,
  topic: string,
  body: string,
  options: { webhookId?: string; eventId?: string | null; signature?: string; keepClock?: boolean } = {},
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
  if (!options.keepClock) arriveNoEarlierThanStated(t, body, headers);
  return t.request(`/v1/connectors/shopify/${programId}`, { method: 'POST', headers, body });
}

export function sendWoo(
  t: TestApp,
  programId: string,
  secret: string,
  topic: string,
  body: string,
  options: { deliveryId?: string; signature?: string | null; keepClock?: boolean } = {},
) {
  const n = ++deliveries;
  const [resource, event] = topic.split('.') as [string, string];
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'WooCommerce/9.4.2 Hookshot (WordPress/6.7.1)',
    'x-wc-webhook-source': 'https://shop.example/',
    'x-wc-webhook-topic': topic,
    'x-wc-webhook-resource': resource,
    'x-wc-webhook-event': event,
    'x-wc-webhook-id': '12',
    'x-wc-webhook-delivery-id': options.deliveryId ?? `2f0a9c3e8b7d6e5f4a3b2c1d0e9f${String(n).padStart(4, '0')}`,
  };
  if (options.signature !== null) headers['x-wc-webhook-signature'] = options.signature ?? platformSignature(secret, body);
  if (!options.keepClock) arriveNoEarlierThanStated(t, body, headers);
  return t.request(`/v1/connectors/woocommerce/${programId}`, { method: 'POST', headers, body });
}
