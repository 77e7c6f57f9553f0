import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_TOKEN,
  createAffiliate,
  createLink,
  createMerchant,
  createProgram,
  approve,
  startTestApp,
  TEST_IP_HEADER,
  type TestApp,
} from '../support/test-app';

/**
 * A day of 5,100 sub-ids: more groups than one page holds (5,000). The JSON report pages with a
 * cursor, the CSV holds every row, and a group made only of bot clicks (the empty country of a
 * crawler that sent no country) is no row at all.
 */
const SUB_IDS = 5100;
const HUMAN = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';
let t: TestApp;
let merchant: { apiKey: string };
const day = '2026-11-25';
const sub = (i: number) => `s${String(i).padStart(4, '0')}`;

beforeAll(async () => {
  t = await startTestApp({}, { clickhouse: true });
  merchant = await createMerchant(t, 'Shop');
  const affiliate = await createAffiliate(t, 'Blog');
  const program = await createProgram(t, merchant.apiKey);
  await approve(t, merchant.apiKey, program.id, affiliate.id);
  const link = await createLink(t, affiliate.apiKey, { programId: program.id });
  for (let start = 0; start < SUB_IDS; start += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, SUB_IDS - start) }, async (_, j) => {
        const i = start + j;
        const response = await t.request(`/c/${link.code}?sub1=${sub(i)}`, {
          headers: { 'user-agent': HUMAN, [TEST_IP_HEADER]: `10.${i >> 8}.${i & 255}.1`, 'cf-ipcountry': 'DE' },
        });
        expect(response.status).toBe(302);
      }),
    );
  }
  // A crawler with no country: its sub-id group already exists; its country group is all zeros.
  const bot = await t.request(`/c/${link.code}?sub1=${sub(0)}`, {
    headers: { 'user-agent': 'Googlebot/2.1 (+http://www.google.com/bot.html)', [TEST_IP_HEADER]: '198.51.100.99' },
  });
  expect(bot.status).toBe(302);
  const batch = await t.request('/v1/admin/batch', { method: 'POST', key: ADMIN_TOKEN, json: { asOf: t.clock.now().toISOString() } });
  expect(batch.status).toBe(200);
  expect(((await batch.json()) as { export: { clicks: number } }).export.clicks).toBe(SUB_IDS + 1);
}, 120_000);

afterAll(async () => {
  await t?.close();
});

interface Page {
  rows: { key: string; clicks: number }[];
  next: string | null;
}

async function page(query: string) {
  const response = await t.request(`/v1/reports/summary?from=${day}&to=${day}&${query}`, { key: merchant.apiKey });
  return { status: response.status, body: (await response.json()) as Page & { error?: { code: string; message: string } } };
}

describe('report pages', () => {
  it('reads a day of 5,100 sub-ids a page at a time, every row once, in order', async () => {
    const first = await page('groupBy=sub1');
    expect(first.status).toBe(200);
    expect(first.body.rows).toHaveLength(5000);
    expect(first.body.next).not.toBeNull();
    const second = await page(`groupBy=sub1&after=${encodeURIComponent(first.body.next!)}`);
    expect(second.body.rows).toHaveLength(100);
    expect(second.body.next).toBeNull();
    const keys = [...first.body.rows, ...second.body.rows].map((r) => r.key);
    expect(keys).toEqual(Array.from({ length: SUB_IDS }, (_, i) => sub(i)));
    expect([...first.body.rows, ...second.body.rows].every((r) => r.clicks === 1)).toBe(true);

    // Smaller pages walk the same rows.
    const walked: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const p = await page(`groupBy=sub1&limit=2000${after ? `&after=${encodeURIComponent(after)}` : ''}`);
      expect(p.status).toBe(200);
      walked.push(...p.body.rows.map((r) => r.key));
      after = p.body.next;
      pages += 1;
    } while (after !== null);
    expect(pages).toBe(3);
    expect(walked).toEqual(keys);
  }, 60_000);

  it('exports every row as CSV, past one page', async () => {
    const response = await t.request(`/v1/reports/summary?from=${day}&to=${day}&groupBy=sub1&format=csv`, { key: merchant.apiKey });
    expect(response.status).toBe(200);
    const records = parse(await response.text(), { columns: true }) as { key: string; clicks: string }[];
    expect(records).toHaveLength(SUB_IDS);
    expect(records[0]).toMatchObject({ key: sub(0), clicks: '1' });
    expect(records[SUB_IDS - 1]).toMatchObject({ key: sub(SUB_IDS - 1), clicks: '1' });
  }, 60_000);

  it('leaves out groups with nothing in them: the bot-only empty country', async () => {
    const byCountry = await page('groupBy=country');
    expect(byCountry.body.rows.map((r) => [r.key, r.clicks])).toEqual([['DE', SUB_IDS]]);
    expect(byCountry.body.next).toBeNull();
    const byBrowser = await page('groupBy=browser');
    expect(byBrowser.body.rows.every((r) => r.clicks > 0)).toBe(true);
  });

  it('refuses a cursor it did not make, or one of another grouping, with 422', async () => {
    const first = await page('groupBy=sub1&limit=1');
    for (const query of [
      'groupBy=sub1&after=not-a-cursor',
      `groupBy=day&after=${encodeURIComponent(first.body.next!)}`,
      `groupBy=affiliate&after=${encodeURIComponent(first.body.next!)}`,
      'groupBy=sub1&limit=5001',
      'groupBy=sub1&limit=0',
    ]) {
      const response = await page(query);
      expect([query, response.status]).toEqual([query, 422]);
      expect(response.body.error?.code).toBe('validation_failed');
    }
  });
});
