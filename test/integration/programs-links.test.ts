import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  approve,
  createAffiliate,
  createLink,
  createMerchant,
  createProgram,
  defaultPlan,
  startTestApp,
  type TestApp,
} from '../support/test-app';

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(async () => {
  await t.close();
});

const count = (table: string) => (t.store.raw.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;

async function errorOf(response: Response) {
  return { status: response.status, ...((await response.json()) as { error: { code: string; message: string } }).error };
}

describe('programs', () => {
  it('creates a program with defaults and normalised domains', async () => {
    const merchant = await createMerchant(t);
    const response = await t.request('/v1/programs', {
      method: 'POST',
      key: merchant.apiKey,
      json: {
        name: 'Winter',
        landingUrl: 'https://Shop.Example/',
        allowedDomains: ['SHOP.example', 'shop.example'],
        currency: 'JPY',
        plan: { default: { percent: '5' }, rules: [{ newCustomer: true, bonusFlat: '500' }], maxPerOrder: '20000' },
      },
    });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({
      name: 'Winter',
      landingUrl: 'https://shop.example/',
      allowedDomains: ['shop.example'],
      currency: 'JPY',
      cookieDays: 30,
      lockDays: 30,
      status: 'active',
      plan: { default: { percent: '5' }, rules: [{ newCustomer: true, bonusFlat: '500' }], tiers: [], excludeNonCash: false },
    });
  });

  it.each([
    [{ currency: 'EURO' }, 'currency'],
    [{ currency: 'XAU' }, 'currency'],
    [{ landingUrl: 'https://evil.example/' }, "landingUrl is not on the program's allowed domains"],
    [{ landingUrl: 'https://shop.example@evil.example/' }, 'landingUrl must not contain a user name or password'],
    [{ allowedDomains: ['https://shop.example/'] }, 'allowedDomains'],
    [{ allowedDomains: [] }, 'allowedDomains'],
    [{ cookieDays: 0 }, 'cookieDays'],
    [{ lockDays: -1 }, 'lockDays'],
    [{ cookieDays: 1.5 }, 'cookieDays'],
    [{ plan: { default: { percent: '8.125' } } }, 'plan.default.percent'],
    [{ plan: { default: { percent: '101' } } }, 'plan.default.percent'],
    [{ plan: { default: { percent: 8 } } }, 'plan.default.percent'],
    [{ plan: { default: { percent: '8' }, maxPerOrder: '-5.00' } }, 'plan.maxPerOrder'],
    [
      { plan: { default: { percent: '8' }, maxPerOrder: '5.001' } },
      'plan.maxPerOrder has more decimals than the currency allows',
    ],
    [
      { currency: 'JPY', plan: { default: { percent: '8' }, rules: [{ bonusFlat: '5.50' }] } },
      'plan.rules[0].bonusFlat has more decimals',
    ],
    [{ plan: { default: { percent: '8' }, rules: [{ sku: 'X' }] } }, 'a rule needs percent, flat or bonusFlat'],
    [{ plan: { default: { percent: '8' }, rules: [{ sku: 'X', percent: '1', flat: '1.00' }] } }, 'either percent or flat'],
    [
      {
        plan: {
          default: { percent: '8' },
          tiers: [
            { monthlySalesOver: '500.00', percent: '9' },
            { monthlySalesOver: '100.00', percent: '10' },
          ],
        },
      },
      'ascending',
    ],
    [{ plan: { default: { percent: '8' }, surprise: true } }, 'plan'],
    [{ unknownField: 1 }, 'unknownField'],
  ])('refuses %j with 422 naming the problem, storing nothing', async (change, message) => {
    const merchant = await createMerchant(t);
    const response = await t.request('/v1/programs', {
      method: 'POST',
      key: merchant.apiKey,
      json: {
        name: 'P',
        landingUrl: 'https://shop.example/',
        allowedDomains: ['shop.example'],
        currency: 'EUR',
        plan: defaultPlan,
        ...change,
      },
    });
    const error = await errorOf(response);
    expect(error.status).toBe(422);
    expect(error.code).toBe('validation_failed');
    expect(error.message).toContain(message);
    expect(count('programs')).toBe(0);
  });

  it('refuses malformed JSON with 400 invalid_json and other media types with 415', async () => {
    const merchant = await createMerchant(t);
    for (const [body, type, status, code] of [
      ['{"name": ', 'application/json', 400, 'invalid_json'],
      ['', 'application/json', 400, 'invalid_json'],
      ['name=x', 'application/x-www-form-urlencoded', 415, 'unsupported_media_type'],
      ['{"name":"x"}', 'text/plain', 415, 'unsupported_media_type'],
    ] as const) {
      const response = await t.request('/v1/programs', {
        method: 'POST',
        key: merchant.apiKey,
        headers: { 'content-type': type },
        body,
      });
      expect(await errorOf(response)).toMatchObject({ status, code });
    }
    expect(count('programs')).toBe(0);
  });

  it('patches a program, keeps the currency fixed, and checks the result as a whole', async () => {
    const merchant = await createMerchant(t);
    const program = await createProgram(t, merchant.apiKey);
    const patched = await t.request(`/v1/programs/${program.id}`, {
      method: 'PATCH',
      key: merchant.apiKey,
      json: { cookieDays: 7, status: 'paused', plan: { default: { percent: '10' } } },
    });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({ cookieDays: 7, status: 'paused', plan: { default: { percent: '10' } } });
    const currency = await t.request(`/v1/programs/${program.id}`, {
      method: 'PATCH',
      key: merchant.apiKey,
      json: { currency: 'USD' },
    });
    expect(currency.status).toBe(422);
    const orphan = await t.request(`/v1/programs/${program.id}`, {
      method: 'PATCH',
      key: merchant.apiKey,
      json: { allowedDomains: ['other.example'] },
    });
    expect(await errorOf(orphan)).toMatchObject({ status: 422, message: "landingUrl is not on the program's allowed domains" });
  });

  it('approves, lists and suspends affiliates; affiliates see their programs and standing', async () => {
    const merchant = await createMerchant(t);
    const affiliate = await createAffiliate(t);
    const program = await createProgram(t, merchant.apiKey);
    expect(
      ((await (await t.request('/v1/programs', { key: affiliate.apiKey })).json()) as { programs: unknown[] }).programs,
    ).toEqual([]);
    await approve(t, merchant.apiKey, program.id, affiliate.id);
    const members = await (await t.request(`/v1/programs/${program.id}/affiliates`, { key: merchant.apiKey })).json();
    expect(members).toMatchObject({ affiliates: [{ affiliateId: affiliate.id, status: 'approved' }] });
    const suspend = await t.request(`/v1/programs/${program.id}/affiliates/${affiliate.id}/suspend`, {
      method: 'POST',
      key: merchant.apiKey,
    });
    expect(suspend.status).toBe(200);
    const seen = await (await t.request(`/v1/programs/${program.id}`, { key: affiliate.apiKey })).json();
    expect(seen).toMatchObject({ id: program.id, membership: 'suspended' });
    const unknown = await t.request(`/v1/programs/${program.id}/affiliates`, {
      method: 'POST',
      key: merchant.apiKey,
      json: { affiliateId: 'aff_404' },
    });
    expect(unknown.status).toBe(404);
  });
});

describe('links', () => {
  async function setup() {
    const merchant = await createMerchant(t);
    const affiliate = await createAffiliate(t);
    const program = await createProgram(t, merchant.apiKey);
    await approve(t, merchant.apiKey, program.id, affiliate.id);
    return { merchant, affiliate, program };
  }

  it('creates a link with a short code, a tracking URL, a deep link and sub-ids', async () => {
    const { affiliate, program } = await setup();
    const link = await createLink(t, affiliate.apiKey, {
      programId: program.id,
      url: 'https://www.shop.example/p/42?c=red#specs',
      sub1: 'newsletter',
    });
    expect(link).toMatchObject({
      programId: program.id,
      url: 'https://www.shop.example/p/42?c=red#specs',
      sub1: 'newsletter',
      sub2: null,
      status: 'active',
    });
    expect(link.code).toMatch(/^[A-Za-z0-9_-]{8}$/);
    expect(link.trackingUrl).toBe(`https://go.clickledger.test/c/${link.code}`);
    const plain = await createLink(t, affiliate.apiKey, { programId: program.id });
    expect(plain).toMatchObject({ url: 'https://shop.example/landing?utm_source=aff#top' });
  });

  it.each([
    '//evil.example',
    'https://shop.example@evil.example/',
    'https://shop.example.evil.example/',
    'https://shоp.example/',
    'javascript:alert(1)',
    'https://evil.example/?u=https://shop.example/',
    'https:\\\\evil.example',
  ])('refuses the deep link %s (P14)', async (url) => {
    const { affiliate, program } = await setup();
    const response = await t.request('/v1/links', {
      method: 'POST',
      key: affiliate.apiKey,
      json: { programId: program.id, url },
    });
    expect(response.status).toBe(422);
    expect(count('links')).toBe(0);
  });

  it('refuses sub-ids with control characters and links for programs the affiliate is not in', async () => {
    const { affiliate, program, merchant } = await setup();
    const crlf = await t.request('/v1/links', {
      method: 'POST',
      key: affiliate.apiKey,
      json: { programId: program.id, sub1: 'a\r\nSet-Cookie: x' },
    });
    expect(crlf.status).toBe(422);
    const other = await createProgram(t, merchant.apiKey, { name: 'Other' });
    const notMember = await t.request('/v1/links', { method: 'POST', key: affiliate.apiKey, json: { programId: other.id } });
    expect(notMember.status).toBe(404);
    await t.request(`/v1/programs/${program.id}/affiliates/${affiliate.id}/suspend`, { method: 'POST', key: merchant.apiKey });
    const suspended = await t.request('/v1/links', { method: 'POST', key: affiliate.apiKey, json: { programId: program.id } });
    expect(suspended.status).toBe(403);
    expect(count('links')).toBe(0);
  });

  it("lists only the affiliate's own links, in pages", async () => {
    const { affiliate, program, merchant } = await setup();
    const other = await createAffiliate(t, 'Other');
    await approve(t, merchant.apiKey, program.id, other.id);
    for (let i = 0; i < 5; i++) await createLink(t, affiliate.apiKey, { programId: program.id, sub1: `s${i}` });
    await createLink(t, other.apiKey, { programId: program.id });
    const first = (await (await t.request('/v1/links?limit=3', { key: affiliate.apiKey })).json()) as {
      links: { sub1: string; id: string }[];
      next: string;
    };
    expect(first.links.map((l) => l.sub1)).toEqual(['s0', 's1', 's2']);
    const second = (await (await t.request(`/v1/links?limit=3&after=${first.next}`, { key: affiliate.apiKey })).json()) as {
      links: { sub1: string }[];
      next: string | null;
    };
    expect(second.links.map((l) => l.sub1)).toEqual(['s3', 's4']);
    expect(second.next).toBeNull();
  });
});
