import { Webhook } from 'standardwebhooks';
import type { TestApp } from './test-app';

/**
 * The merchant's shop as a webhook sender. Signing uses the `standardwebhooks` reference
 * library, an implementation independent of the verifier under test.
 */
export interface OrderItemInput {
  sku: string;
  category?: string;
  quantity: number;
  unitPrice: string;
  discount?: string;
  refundedQuantity?: number;
}

export interface OrderInput {
  id: string;
  clickId?: string;
  coupon?: string;
  customerId?: string;
  newCustomer?: boolean;
  currency?: string;
  shipping?: string;
  nonCashAmount?: string;
  placedAt?: string;
  items?: OrderItemInput[];
}

export function orderEvent(programId: string, type: string, order: OrderInput, occurredAt = '2026-11-25T10:00:00Z') {
  return {
    type,
    programId,
    order: {
      currency: 'EUR',
      items: [{ sku: 'S1', category: 'shoes', quantity: 2, unitPrice: '49.90', discount: '5.00' }],
      ...order,
    },
    occurredAt,
  };
}

let deliveries = 0;

export function signedHeaders(secret: string, body: string, options: { id?: string; timestamp?: number } = {}) {
  const id = options.id ?? `msg_${++deliveries}_${Math.random().toString(36).slice(2)}`;
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const signature = new Webhook(secret).sign(id, new Date(timestamp * 1000), body);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signature,
    'content-type': 'application/json',
  };
}

/** POSTs an order event signed with `secret`, timestamped by the app's own (test) clock. */
export function sendOrder(
  t: TestApp,
  secret: string,
  event: unknown,
  options: { id?: string; timestamp?: number; body?: string } = {},
) {
  const body = options.body ?? JSON.stringify(event);
  const timestamp = options.timestamp ?? Math.floor(t.clock.now().getTime() / 1000);
  return t.request('/v1/orders', { method: 'POST', headers: signedHeaders(secret, body, { ...options, timestamp }), body });
}
