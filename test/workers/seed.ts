import { ADMIN_TOKEN, call } from './api';

export interface Seeded {
  merchantKey: string;
  webhookSecret: string;
  programId: string;
  affiliateId: string;
  affiliateKey: string;
  linkCode: string;
}

async function created<T>(answer: Promise<{ status: number; body: unknown }>): Promise<T> {
  const { status, body } = await answer;
  if (status !== 201 && status !== 200) throw new Error(`seeding failed: ${status} ${JSON.stringify(body)}`);
  return body as T;
}

/**
 * A merchant, an approved affiliate in its program (EUR, 8 %, landing page
 * https://shop.example/, no lock period) and one link, made through the API as a client would:
 * provisioning commits through D1 batch()es like the rest. Each test file has its own D1, so
 * the ids are mer_1, aff_1, prg_1 and link 1.
 */
export async function seed(): Promise<Seeded> {
  const merchant = await created<{ apiKey: string; webhookSecret: string }>(
    call('/v1/merchants', { key: ADMIN_TOKEN, json: { name: 'Edge Shop' } }),
  );
  const affiliate = await created<{ id: string; apiKey: string }>(
    call('/v1/affiliates', { key: ADMIN_TOKEN, json: { name: 'Edge Affiliate' } }),
  );
  const program = await created<{ id: string }>(
    call('/v1/programs', {
      key: merchant.apiKey,
      json: {
        name: 'Edge',
        landingUrl: 'https://shop.example/',
        allowedDomains: ['shop.example'],
        currency: 'EUR',
        cookieDays: 30,
        lockDays: 0,
        plan: { default: { percent: '8' } },
      },
    }),
  );
  await created(call(`/v1/programs/${program.id}/affiliates`, { key: merchant.apiKey, json: { affiliateId: affiliate.id } }));
  const link = await created<{ code: string }>(call('/v1/links', { key: affiliate.apiKey, json: { programId: program.id } }));
  return {
    merchantKey: merchant.apiKey,
    webhookSecret: merchant.webhookSecret,
    programId: program.id,
    affiliateId: affiliate.id,
    affiliateKey: affiliate.apiKey,
    linkCode: link.code,
  };
}
