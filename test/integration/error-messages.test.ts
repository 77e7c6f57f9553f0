import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { orderEvent, sendOrder } from '../support/shop';
import { createMerchant, createTenant, startTestApp, type Tenant, type TestApp } from '../support/test-app';

/**
 * Errors a user can act on: a 415 says which media type to send, a validation failure names
 * every failing field (paths as `items[0].unitPrice`), and a refused webhook signature leaves
 * one line in the server's log saying which check failed, with no secret in it.
 */
let t: TestApp;
let lines: { message: string; fields?: Record<string, unknown> }[];

beforeEach(async () => {
  lines = [];
  t = await startTestApp({
    log: {
      info: (message, fields) => lines.push({ message, ...(fields ? { fields } : {}) }),
      error: (message, fields) => lines.push({ message, ...(fields ? { fields } : {}) }),
    },
  });
});
afterEach(() => t.close());

async function errorOf(response: Response) {
  return { status: response.status, ...((await response.json()) as { error: { code: string; message: string } }).error };
}

describe('error messages', () => {
  it('a 415 names application/json', async () => {
    const merchant = await createMerchant(t);
    const response = await t.request('/v1/programs', {
      method: 'POST',
      key: merchant.apiKey,
      headers: { 'content-type': 'text/plain' },
      body: '{"name":"x"}',
    });
    expect(await errorOf(response)).toEqual({
      status: 415,
      code: 'unsupported_media_type',
      message: 'send the body as JSON with the header content-type: application/json',
    });
  });

  it('a validation failure lists every failing field, each path in one style', async () => {
    const merchant = await createMerchant(t);
    const response = await t.request('/v1/programs', {
      method: 'POST',
      key: merchant.apiKey,
      json: { name: 7, landingUrl: 'https://shop.example/', allowedDomains: ['shop.example', 5], currency: 'EUR', plan: {} },
    });
    const error = await errorOf(response);
    expect([error.status, error.code]).toEqual([422, 'validation_failed']);
    const fields = error.message.split('; ').map((part) => part.split(':')[0]);
    expect(fields).toEqual(['name', 'allowedDomains[1]', 'plan.default']);
    expect(error.message).not.toContain('more');
  });

  it('an order event names each bad line by index', async () => {
    const tenant: Tenant = await createTenant(t);
    const event = orderEvent(tenant.program.id, 'order.created', {
      id: 'E-1',
      items: [
        { sku: 'A', quantity: 0, unitPrice: '1.00' },
        { sku: 'B', quantity: 1, unitPrice: '1.00' },
        { sku: 'C', quantity: 2.5, unitPrice: '1.00' },
      ],
    });
    const error = await errorOf(await sendOrder(t, tenant.merchant.webhookSecret, event));
    expect(error.status).toBe(422);
    expect(error.message).toMatch(/^order\.items\[0\]\.quantity: .+; order\.items\[2\]\.quantity: [^;]+$/);
  });

  it('a refused signature logs one line naming the failed check, never the secret', async () => {
    const tenant: Tenant = await createTenant(t);
    const event = orderEvent(tenant.program.id, 'order.created', { id: 'S-1' });
    const now = Math.floor(t.clock.now().getTime() / 1000);
    lines.length = 0;
    const old = await sendOrder(t, tenant.merchant.webhookSecret, event, { timestamp: now - 301, id: 'msg_old' });
    expect(old.status).toBe(401);
    const wrong = await sendOrder(t, 'whsec_d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldA==', event, { id: 'msg_wrong' });
    expect(wrong.status).toBe(401);
    expect(lines).toEqual([
      {
        message: 'webhook signature rejected',
        fields: {
          reason: 'timestamp_too_old',
          channel: 'webhook',
          programId: Number(tenant.program.id.replace(/\D/g, '')),
          deliveryId: 'msg_old',
        },
      },
      {
        message: 'webhook signature rejected',
        fields: {
          reason: 'no_matching_signature',
          channel: 'webhook',
          programId: Number(tenant.program.id.replace(/\D/g, '')),
          deliveryId: 'msg_wrong',
        },
      },
    ]);
    expect(JSON.stringify(lines)).not.toContain(tenant.merchant.webhookSecret.slice(6, 20));
  });
});
