import { TEST_ADMIN_TOKEN } from './server-process';

/** What `seedLink` made through the public API. */
export interface SeededLink {
  merchantId: string;
  merchantKey: string;
  /** The merchant's Standard Webhooks secret (`whsec_…`), for signing order events. */
  webhookSecret: string;
  affiliateId: string;
  affiliateKey: string;
  programId: string;
  code: string;
  trackingUrl: string;
}

async function call<T>(baseUrl: string, key: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

/**
 * Merchant, affiliate, program (landing page https://shop.example/), membership and one link,
 * all made through the API of a running server.
 */
export async function seedLink(baseUrl: string, adminToken: string = TEST_ADMIN_TOKEN): Promise<SeededLink> {
  const merchant = await call<{ id: string; apiKey: string; webhookSecret: string }>(
    baseUrl,
    adminToken,
    'POST',
    '/v1/merchants',
    {
      name: 'Shop Example',
    },
  );
  const affiliate = await call<{ id: string; apiKey: string }>(baseUrl, adminToken, 'POST', '/v1/affiliates', {
    name: 'Ada Affiliate',
  });
  const program = await call<{ id: string }>(baseUrl, merchant.apiKey, 'POST', '/v1/programs', {
    name: 'Spring',
    landingUrl: 'https://shop.example/',
    allowedDomains: ['shop.example'],
    currency: 'EUR',
    cookieDays: 30,
    lockDays: 30,
    plan: { default: { percent: '8' } },
  });
  await call(baseUrl, merchant.apiKey, 'POST', `/v1/programs/${program.id}/affiliates`, { affiliateId: affiliate.id });
  const link = await call<{ code: string; trackingUrl: string }>(baseUrl, affiliate.apiKey, 'POST', '/v1/links', {
    programId: program.id,
  });
  return {
    merchantId: merchant.id,
    merchantKey: merchant.apiKey,
    webhookSecret: merchant.webhookSecret,
    affiliateId: affiliate.id,
    affiliateKey: affiliate.apiKey,
    programId: program.id,
    code: link.code,
    trackingUrl: link.trackingUrl,
  };
}
