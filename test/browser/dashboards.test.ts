import { mkdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoAccounts } from '../../src/demo/demo-month';
import { CHROMIUM, hasChromium, openBrowser } from '../support/browser';
import { startDemoApp } from '../support/demo-app';
import type { TestApp } from '../support/test-app';
import { formatter } from '../../src/app/dashboard/format';

/**
 * The dashboards in a real browser (Debian's chromium through playwright-core) against the real
 * app over SQLite + chDB, seeded with the demo month: each role signs in through the form, and
 * every number the page shows is compared with what the API answers for the same question.
 * Screenshots go to test-results/dashboards/.
 */
if (!hasChromium) {
  console.warn(`SKIPPED browser tests: ${CHROMIUM} is missing (apt-get install -y chromium; .ci/run installs it)`);
}

const SHOTS = 'test-results/dashboards';
const FROM = '2026-10-27';
const TO = '2026-11-25';

interface ApiRow {
  key: string;
  currency: string;
  [field: string]: unknown;
}
const FIELDS = [
  'clicks',
  'uniqueClicks',
  'orders',
  'revenue',
  'commission',
  'commissionEstimated',
  'commissionSettled',
  'conversionRate',
  'epc',
  'costRatio',
];

/** The viewer's locale in these tests: German separators prove the page follows Accept-Language. */
const LOCALE = 'de-DE';
const fmt = formatter(LOCALE);
const RATES = new Set(['conversionRate', 'costRatio']);
const COUNTS = new Set(['clicks', 'uniqueClicks', 'orders']);

/** A report row as the page holds it: the API's own strings and integers in data-value, '' for null. */
function expectedCells(rows: ApiRow[]) {
  return rows.map((r) => ({
    key: r.key,
    currency: r.currency,
    ...Object.fromEntries(FIELDS.map((f) => [f, r[f] === null ? '' : String(r[f])])),
  }));
}

/** The same row as the viewer reads it: counts grouped, amounts in currency, rates as percentages. */
function expectedText(rows: ApiRow[]) {
  return rows.map((r) => ({
    key: r.key,
    ...Object.fromEntries(
      FIELDS.map((f) => {
        const v = r[f] as string | number | null;
        const shown = COUNTS.has(f)
          ? fmt.count(v as number)
          : RATES.has(f)
            ? fmt.percent(v as string | null)
            : v === null
              ? '–'
              : fmt.money(v as string, r.currency);
        return [f, shown];
      }),
    ),
  }));
}

/** Cells' printed text by data-field, per row. */
function tableText(page: Page, testId: string) {
  return page.$$eval(`[data-testid="${testId}"] tbody tr[data-key]`, (rows) =>
    rows.map((row) => ({
      key: (row as HTMLElement).dataset.key!,
      ...Object.fromEntries(
        Array.from(row.querySelectorAll('td[data-field]')).map((td) => [
          (td as HTMLElement).dataset.field!,
          td.textContent!.trim(),
        ]),
      ),
    })),
  );
}

/** Cells' exact values (data-value, the API's) by data-field, per row. */
function tableRows(page: Page, testId: string) {
  return page.$$eval(`[data-testid="${testId}"] tbody tr[data-key]`, (rows) =>
    rows.map((row) => ({
      key: (row as HTMLElement).dataset.key!,
      ...((row as HTMLElement).dataset.currency ? { currency: (row as HTMLElement).dataset.currency } : {}),
      ...Object.fromEntries(
        Array.from(row.querySelectorAll('td[data-field]')).map((td) => [
          (td as HTMLElement).dataset.field!,
          (td as HTMLElement).dataset.value ?? td.textContent!.trim(),
        ]),
      ),
    })),
  );
}

type ChartJs = {
  getChart(
    c: unknown,
  ): { data: { labels: string[]; datasets: { label: string; data: number[]; exact?: string[] }[] } } | undefined;
};

/** What Chart.js itself holds for one of the day charts, once it has drawn it. */
async function chartData(page: Page, id: string) {
  await page.waitForFunction((id) => (window as unknown as { Chart?: ChartJs }).Chart?.getChart(document.getElementById(id)), id);
  return page.evaluate((id) => {
    const c = (window as unknown as { Chart: ChartJs }).Chart.getChart(document.getElementById(id))!;
    return { labels: c.data.labels, sets: c.data.datasets.map((d) => ({ label: d.label, data: d.data, exact: d.exact })) };
  }, id);
}

describe.skipIf(!hasChromium)('dashboards in chromium', { timeout: 120_000 }, () => {
  let t: TestApp;
  let accounts: DemoAccounts;
  let server: ServerType;
  let base: string;
  let browser: { context: BrowserContext; close(): Promise<void> };

  async function api<T>(key: string, path: string, init: RequestInit & { json?: unknown } = {}): Promise<T> {
    const response = await t.request(path, { ...init, key });
    expect(response.status, `${path}`).toBeLessThan(300);
    return (response.headers.get('content-type') ?? '').includes('json')
      ? ((await response.json()) as T)
      : ((await response.text()) as T);
  }

  async function signIn(apiKey: string, landing: RegExp): Promise<Page> {
    await browser.context.clearCookies();
    const page = await browser.context.newPage();
    await page.goto(`${base}/app`);
    await expect.poll(() => page.url()).toMatch(/\/app\/login$/);
    // Keyboard only: the key field has focus, Enter submits. Typing waits for that focus: on a
    // loaded machine keys typed before the page's autofocus applied were lost, and Enter then
    // sent a partial key.
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('type') ?? '')).toBe('password');
    await page.keyboard.type(apiKey);
    await page.keyboard.press('Enter');
    await page.waitForURL(landing);
    return page;
  }

  async function download(page: Page, linkText: string): Promise<string> {
    const [file] = await Promise.all([page.waitForEvent('download'), page.getByText(linkText, { exact: true }).click()]);
    return readFileSync((await file.path())!, 'utf8');
  }

  /** Every visible form control has a label, and the first Tab on a fresh page reaches the skip link. */
  async function expectAccessibleBasics(page: Page, path: string) {
    await page.goto(`${base}${path}`);
    const unlabelled = await page.$$eval('input:not([type=hidden]), select, textarea', (els) =>
      els
        .filter((el) => ((el as HTMLInputElement).labels?.length ?? 0) === 0 && !el.getAttribute('aria-label'))
        .map((el) => el.outerHTML),
    );
    expect(unlabelled).toEqual([]);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
  }

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    ({ t, accounts } = await startDemoApp());
    server = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await openBrowser({ viewport: { width: 1400, height: 900 }, locale: LOCALE });
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
    await t?.close();
  });

  it('merchant: the chart and the tables by affiliate and by day show the summary report to the cent; the range picker and CSV download too', async () => {
    const key = accounts.merchant.apiKey;
    const page = await signIn(key, /\/app\/merchant$/);
    const byAffiliate = await api<{ rows: ApiRow[] }>(key, `/v1/reports/summary?from=${FROM}&to=${TO}&groupBy=affiliate`);
    const byDay = await api<{ rows: ApiRow[] }>(key, `/v1/reports/summary?from=${FROM}&to=${TO}&groupBy=day`);
    expect(byAffiliate.rows.length).toBeGreaterThan(1);
    expect(await tableRows(page, 'breakdown-table')).toEqual(expectedCells(byAffiliate.rows));
    expect(await tableRows(page, 'day-table')).toEqual(expectedCells(byDay.rows));
    // As the viewer reads them: German grouping and decimal comma, euro sign, percentages.
    expect(await tableText(page, 'breakdown-table')).toEqual(expectedText(byAffiliate.rows));
    expect(await tableText(page, 'day-table')).toEqual(expectedText(byDay.rows));
    expect(await page.textContent('[data-testid=breakdown-table] tbody [data-field=revenue]')).toMatch(/^[0-9.]+,[0-9]{2}\s€$/);
    // Affiliates by name, the id on hover; no bare "(none)".
    const named = byAffiliate.rows.find((r) => r.key !== '')! as ApiRow & { label: string };
    expect(await page.textContent(`[data-testid=breakdown-table] tr[data-key="${named.key}"] th`)).toBe(named.label);
    expect(await page.getAttribute(`[data-testid=breakdown-table] tr[data-key="${named.key}"] th [title]`, 'title')).toBe(
      named.key,
    );
    expect(await page.textContent('[data-testid=breakdown-table]')).not.toContain('(none)');
    // The by-affiliate table fits its card at 1400 px: no sideways scrolling there.
    expect(await page.$eval('[data-testid=breakdown-table]', (t) => t.scrollWidth <= t.parentElement!.clientWidth)).toBe(true);

    // Headline figures: the sums of the day rows, and the previous 30 days' from the API too.
    const prev = await api<{ rows: ApiRow[] }>(key, `/v1/reports/summary?from=2026-09-27&to=2026-10-26&groupBy=day`);
    const sum = (rows: ApiRow[], f: string) => rows.reduce((n, r) => n + (r[f] as number), 0);
    const cents = (rows: ApiRow[], f: string) => (rows.reduce((n, r) => n + Math.round(Number(r[f]) * 100), 0) / 100).toFixed(2);
    expect(await page.getAttribute('[data-testid=kpis] [data-field=clicks] .value', 'data-value')).toBe(
      String(sum(byDay.rows, 'clicks')),
    );
    expect(await page.getAttribute('[data-testid=kpis] [data-field=orders] .value', 'data-value')).toBe(
      String(sum(byDay.rows, 'orders')),
    );
    expect(await page.getAttribute('[data-testid="kpis"] [data-field="commission:EUR"] .value', 'data-value')).toBe(
      cents(byDay.rows, 'commission'),
    );
    expect(await page.getAttribute('[data-testid="kpis"] [data-field="revenue:EUR"] .value', 'data-value')).toBe(
      cents(byDay.rows, 'revenue'),
    );
    expect(await page.getAttribute('[data-testid=kpis] [data-field=clicks] [data-previous]', 'data-previous')).toBe(
      fmt.count(sum(prev.rows, 'clicks')),
    );

    // Small multiples from the same day rows: clicks, orders and commission each on its own axis,
    // the previous period dashed beside each.
    const clicks = await chartData(page, 'chart-clicks');
    expect(clicks.labels).toEqual(byDay.rows.map((r) => r.key));
    expect(clicks.sets[0]!.data).toEqual(byDay.rows.map((r) => r.clicks));
    expect(clicks.sets[1]!.label).toBe('Clicks (previous period)');
    const orders = await chartData(page, 'chart-orders');
    expect(orders.sets[0]!.data).toEqual(byDay.rows.map((r) => r.orders));
    const commission = await chartData(page, 'chart-commission');
    expect(commission.sets[0]!.exact).toEqual(byDay.rows.map((r) => `${String(r.commission)} EUR`));
    await page.screenshot({ path: `${SHOTS}/merchant-overview.png`, fullPage: true });

    const csv = await download(page, 'Download CSV (by affiliate)');
    expect(csv).toBe(await api<string>(key, `/v1/reports/summary?from=${FROM}&to=${TO}&groupBy=affiliate&format=csv`));

    // Pick another range and breakdown with the form, as a user would.
    await page.getByLabel('From').fill('2026-11-10');
    await page.getByLabel('To').fill('2026-11-20');
    await page.getByRole('combobox', { name: 'Breakdown' }).selectOption('sub1');
    await page.getByRole('combobox', { name: 'Time zone' }).fill('Europe/Berlin');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/from=2026-11-10/);
    const bySub = await api<{ rows: ApiRow[] }>(
      key,
      `/v1/reports/summary?from=2026-11-10&to=2026-11-20&tz=Europe/Berlin&groupBy=sub1`,
    );
    expect(bySub.rows.length).toBeGreaterThan(1);
    expect(await tableRows(page, 'breakdown-table')).toEqual(expectedCells(bySub.rows));
    // The days are Berlin's: they differ from UTC's, so a zone lost on the way would show here.
    const berlinDays = await api<{ rows: ApiRow[] }>(
      key,
      `/v1/reports/summary?from=2026-11-10&to=2026-11-20&tz=Europe/Berlin&groupBy=day`,
    );
    const utcDays = await api<{ rows: ApiRow[] }>(key, `/v1/reports/summary?from=2026-11-10&to=2026-11-20&groupBy=day`);
    expect(berlinDays.rows).not.toEqual(utcDays.rows);
    expect(await tableRows(page, 'day-table')).toEqual(expectedCells(berlinDays.rows));
    const bySubCsv = await download(page, 'Download CSV (by sub-id 1)');
    expect(bySubCsv).toBe(
      await api<string>(key, `/v1/reports/summary?from=2026-11-10&to=2026-11-20&tz=Europe/Berlin&groupBy=sub1&format=csv`),
    );
    // A preset: the last 7 days ending today, compared with the 7 before.
    await page.getByRole('link', { name: 'Last 7 days' }).click();
    await page.waitForURL(/from=2026-11-19&to=2026-11-25/);
    expect(await page.getAttribute('a[aria-current=true]', 'href')).toContain('from=2026-11-19');
    const week = await api<{ rows: ApiRow[] }>(
      key,
      `/v1/reports/summary?from=2026-11-19&to=2026-11-25&tz=Europe/Berlin&groupBy=day`,
    );
    expect(await tableRows(page, 'day-table')).toEqual(expectedCells(week.rows));
    expect(await page.textContent('#summary')).toContain('Compared with 2026-11-12 – 2026-11-18');

    // A zone the API refuses: its reason beside the form, which keeps what was typed.
    await page.getByRole('combobox', { name: 'Time zone' }).fill('Mars/Olympus');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForSelector('[role=alert]');
    expect(await page.inputValue('input[name=tz]')).toBe('Mars/Olympus');
    expect(await page.inputValue('input[name=from]')).toBe('2026-11-19');
    expect(await page.$('[data-testid=day-table]')).toBeNull();

    // The browser's icon request is answered.
    expect((await page.goto(`${base}/favicon.ico`))!.status()).toBe(200);
    await expectAccessibleBasics(page, '/app/merchant');
    await page.close();
  });

  it('merchant: an order shows its status, attribution receipt and ledger as the API has them; held orders are released and rejected with one click', async () => {
    const key = accounts.merchant.apiKey;
    const page = await signIn(key, /\/app\/merchant$/);
    await page.getByRole('link', { name: 'Orders', exact: true }).click();
    await page.waitForURL(/\/app\/merchant\/orders/);
    const listed = await api<{ orders: { id: string; status: string; revenue: string; affiliateId: string | null }[] }>(
      key,
      `/v1/orders?from=${FROM}&to=${TO}&limit=50`,
    );
    const listedNet = new Map(listed.orders.map((o) => [o.id, o.revenue]));
    expect(
      await page.$$eval('[data-testid="orders-table"] tbody tr[data-order] [data-field=net]', (cells) =>
        cells.map((c) => (c as HTMLElement).dataset.value),
      ),
    ).toEqual(listed.orders.map((o) => o.revenue));
    // Names, never bare affiliate ids, with the id on hover.
    const attributed = listed.orders.find((o) => o.affiliateId)!;
    expect(await page.getAttribute(`tr[data-order="${attributed.id}"] [data-id="${attributed.affiliateId}"]`, 'title')).toBe(
      attributed.affiliateId,
    );
    const statuses = await page.$$eval('[data-testid="orders-table"] tbody tr[data-order]', (rows) =>
      rows.map((r) => ({
        id: (r as HTMLElement).dataset.order!,
        status: r.querySelector('[data-field=status]')!.textContent!.trim(),
      })),
    );
    expect(statuses).toEqual(listed.orders.map((o) => ({ id: o.id, status: o.status })));

    // An order with ledger entries: its commission and receipt on the page are the API's.
    const withLedger = listed.orders.find((o) => o.status === 'completed')!;
    await page.getByRole('link', { name: withLedger.id, exact: true }).click();
    await page.waitForURL(new RegExp(`/orders/${withLedger.id}$`));
    const order = await api<{
      revenue: string;
      refunded: string;
      commission: string;
      commissionCurrency: string;
      attribution: { affiliateId: string; receipt: { rule: string; flags: unknown[] } };
      ledger: { id: string; amount: string; explanation: string }[];
    }>(key, `/v1/orders/${withLedger.id}`);
    const members = await api<{ affiliates: { affiliateId: string; name: string }[] }>(
      key,
      `/v1/programs/${accounts.programs[0]!.id}/affiliates`,
    );
    const names = new Map(
      (
        await Promise.all(
          (await api<{ programs: { id: string }[] }>(key, '/v1/programs')).programs.map((pr) =>
            api<{ affiliates: { affiliateId: string; name: string }[] }>(key, `/v1/programs/${pr.id}/affiliates`),
          ),
        )
      ).flatMap((m) => m.affiliates.map((a) => [a.affiliateId, a.name] as const)),
    );
    expect(members.affiliates.length).toBeGreaterThan(0);
    expect(order.ledger.length).toBeGreaterThan(0);
    expect(await page.getAttribute('[data-testid=order-summary] [data-field=commission]', 'data-value')).toBe(order.commission);
    expect((await page.textContent('[data-testid=order-summary] [data-field=commission]'))!.trim()).toBe(
      fmt.money(order.commission, order.commissionCurrency),
    );
    // Gross, refunds and net: net is what the list showed for this order.
    expect(await page.getAttribute('[data-field=gross]', 'data-value')).toBe(order.revenue);
    expect(await page.getAttribute('[data-field=refunded]', 'data-value')).toBe(order.refunded);
    expect(await page.getAttribute('[data-field=net]', 'data-value')).toBe(listedNet.get(withLedger.id));
    // The receipt reads as a timeline: the affiliate by name (id on hover), the rule, each ledger entry's explanation.
    const affiliateName = names.get(order.attribution.affiliateId)!;
    expect(await page.textContent('[data-testid=attribution]')).toContain(`Attributed to ${affiliateName} by click`);
    expect(await page.getAttribute('[data-testid=attribution] [title]', 'title')).toBe(order.attribution.affiliateId);
    expect(await page.textContent('[data-testid=timeline] [data-step=rule]')).toContain(order.attribution.receipt.rule);
    expect(await page.$$eval('[data-testid=timeline] [data-step=ledger] div', (els) => els.map((e) => e.textContent))).toEqual(
      order.ledger.map((e) => e.explanation),
    );
    expect(await page.isVisible('[data-testid=receipt]')).toBe(false);
    await page.getByText('Raw receipt (JSON)').click();
    expect(JSON.parse((await page.textContent('[data-testid=receipt]'))!)).toEqual(order.attribution.receipt);
    expect(await tableRows(page, 'ledger-table')).toEqual(order.ledger.map((e) => ({ key: e.id, amount: e.amount })));
    await page.screenshot({ path: `${SHOTS}/merchant-order.png`, fullPage: true });

    await page.getByRole('link', { name: 'Held orders' }).click();
    await page.waitForURL(/\/app\/merchant\/held/);
    const rows = () =>
      page.$$eval('[data-testid="orders-table"] tbody tr[data-order]', (trs) =>
        trs.map((r) => ({
          id: (r as HTMLElement).dataset.order!,
          status: r.querySelector('[data-field=status]')!.textContent!.trim(),
          reasons: (r as HTMLElement).dataset.reasons!,
          reasonText: r.querySelector('[data-field=reason]')!.textContent!.trim(),
          actions: r.querySelectorAll('button').length,
        })),
      );
    const held = await rows();
    expect(held.length).toBe(accounts.counts.held);
    // Each row says why it is held, in the receipt's own words; only live orders can be decided.
    for (const h of held) {
      const detail = await api<{ attribution: { receipt: { flags: { holds: boolean; detail: string }[] } } }>(
        key,
        `/v1/orders/${h.id}`,
      );
      for (const f of detail.attribution.receipt.flags.filter((f) => f.holds)) expect(h.reasonText).toContain(f.detail);
      expect(h.actions).toBe(['cancelled', 'refunded'].includes(h.status) ? 0 : 2);
    }
    await page.screenshot({ path: `${SHOTS}/merchant-held.png`, fullPage: true });
    const live = held.filter((h) => h.actions > 0);
    expect(live.length).toBeGreaterThanOrEqual(4);
    await page.getByRole('button', { name: `Release ${live[0]!.id}` }).click();
    await page.waitForURL(/done=/);
    expect(await page.textContent('[role=status]')).toContain(`${live[0]!.id} released`);
    expect((await api<{ review: string }>(key, `/v1/orders/${live[0]!.id}`)).review).toBe('released');
    expect((await rows()).length).toBe(held.length - 1);
    await page.getByRole('button', { name: `Reject ${live[1]!.id}` }).click();
    await page.waitForURL(/rejected/);
    expect((await api<{ review: string }>(key, `/v1/orders/${live[1]!.id}`)).review).toBe('rejected');
    expect((await rows()).length).toBe(held.length - 2);

    // Filter by reason: only the orders held for it remain.
    const reason = live[2]!.reasons.split(' ')[0]!;
    await page.getByRole('combobox', { name: 'Hold reason' }).selectOption(reason);
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/reason=/);
    const filtered = await rows();
    expect(filtered.length).toBeGreaterThan(0);
    expect(filtered.every((r) => r.reasons.split(' ').includes(reason))).toBe(true);

    // Bulk: two selected, released in one submit.
    const bulk = filtered.filter((r) => r.actions > 0).slice(0, 2);
    for (const r of bulk) await page.getByRole('checkbox', { name: `Select ${r.id}` }).check();
    await page.getByRole('button', { name: 'Release selected' }).click();
    await page.waitForURL(/released/);
    expect(await page.textContent('[role=status]')).toContain(`${bulk.length} order${bulk.length === 1 ? '' : 's'} released`);
    for (const r of bulk) expect((await api<{ review: string }>(key, `/v1/orders/${r.id}`)).review).toBe('released');
    await page.close();
  });

  it('merchant: the plan editor runs the what-if and shows the simulation the API computes', async () => {
    const key = accounts.merchant.apiKey;
    const page = await signIn(key, /\/app\/merchant$/);
    await page.goto(`${base}/app/merchant/plan`);
    const proposed = { default: { percent: '10' }, rules: [{ category: 'electronics', percent: '4' }] };
    await page.getByRole('textbox', { name: /^Plan \(JSON/ }).fill(JSON.stringify(proposed));
    await page.getByLabel('Simulate from').fill('2026-11-01');
    await page.getByLabel('to', { exact: true }).fill(TO);
    await page.getByRole('button', { name: 'Simulate' }).click();
    await page.waitForSelector('[data-testid=simulation-table]');
    const program = accounts.programs[0]!.id;
    const simulation = await api<{
      affiliates: { affiliateId: string; orders: number; current: string; proposed: string; difference: string }[];
      totals: { current: string; proposed: string; difference: string };
    }>(key, `/v1/programs/${program}/plan/simulate`, { method: 'POST', json: { plan: proposed, from: '2026-11-01', to: TO } });
    expect(simulation.affiliates.length).toBeGreaterThan(0);
    expect(await tableRows(page, 'simulation-table')).toEqual(
      simulation.affiliates.map((a) => ({
        key: a.affiliateId,
        orders: String(a.orders),
        current: a.current,
        proposed: a.proposed,
        difference: a.difference,
      })),
    );
    expect(await page.$eval('tfoot [data-field=proposed]', (td) => (td as HTMLElement).dataset.value)).toBe(
      simulation.totals.proposed,
    );
    expect(await page.$eval('tfoot [data-field=proposed]', (td) => td.textContent!.trim())).toBe(
      fmt.money(simulation.totals.proposed, 'EUR'),
    );
    // Affiliates by name, the id on hover.
    const first = simulation.affiliates[0]!.affiliateId;
    expect(await page.getAttribute(`[data-testid=simulation-table] tr[data-key="${first}"] [title]`, 'title')).toBe(first);
    await page.screenshot({ path: `${SHOTS}/merchant-plan-whatif.png`, fullPage: true });
    // The simulation wrote nothing: the program's plan is unchanged.
    expect((await api<{ plan: { default: { percent: string } } }>(key, `/v1/programs/${program}`)).plan.default.percent).toBe(
      '8',
    );
    await page.close();
  });

  it('affiliate: balance, own report and payouts equal the API; the link builder makes a link and copies it', async () => {
    const affiliate = accounts.affiliates[0]!;
    const key = affiliate.apiKey;
    const page = await signIn(key, /\/app\/affiliate$/);
    const earnings = await api<{ balances: Record<string, string>[] }>(key, '/v1/earnings');
    expect(earnings.balances.length).toBe(1);
    expect(await tableRows(page, 'balance-table')).toEqual(
      earnings.balances.map((b) => ({
        key: b.currency,
        estimated: b.estimated,
        held: b.held,
        settled: b.settled,
        inPayout: b.inPayout,
        paid: b.paid,
      })),
    );
    expect(Number(earnings.balances[0]!.paid)).toBeGreaterThan(0);
    const byLink = await api<{ rows: ApiRow[] }>(key, `/v1/reports/summary?from=${FROM}&to=${TO}&groupBy=link`);
    expect(await tableRows(page, 'breakdown-table')).toEqual(expectedCells(byLink.rows));
    const byDay = await api<{ rows: ApiRow[] }>(key, `/v1/reports/summary?from=${FROM}&to=${TO}&groupBy=day`);
    expect(await tableRows(page, 'day-table')).toEqual(expectedCells(byDay.rows));
    const payouts = await api<{ payouts: { id: string; currency: string; amount: string }[] }>(key, '/v1/affiliates/me/payouts');
    expect(await tableRows(page, 'payouts-table')).toEqual(
      payouts.payouts.map((p) => ({ key: `${p.id}:${p.currency}`, amount: p.amount })),
    );
    // The affiliate's chart draws estimated and settled commission apart, from the same day rows.
    const clicks = await chartData(page, 'chart-clicks');
    expect(clicks.labels).toEqual(byDay.rows.map((r) => r.key));
    expect(clicks.sets[0]!.data).toEqual(byDay.rows.map((r) => r.clicks));
    const chart = await chartData(page, 'chart-commission');
    expect(chart.sets.map((d) => d.label)).toEqual([
      'Estimated',
      'Estimated (previous period)',
      'Settled',
      'Settled (previous period)',
    ]);
    expect(chart.sets[0]!.exact).toEqual(byDay.rows.map((r) => `${String(r.commissionEstimated)} EUR`));
    expect(chart.sets[2]!.exact).toEqual(byDay.rows.map((r) => `${String(r.commissionSettled)} EUR`));
    await page.screenshot({ path: `${SHOTS}/affiliate-overview.png`, fullPage: true });

    await page.getByRole('link', { name: 'Link builder' }).click();
    await page.waitForURL(/\/app\/affiliate\/links$/);
    await expectAccessibleBasics(page, '/app/affiliate/links');
    const outdoor = accounts.programs[0]!;
    await page.locator('select[name=programId]').selectOption(outdoor.id);
    // The deep link's example is a page of the chosen program's shop, not a made-up domain.
    const programs = await api<{ programs: { id: string; landingUrl: string }[] }>(key, '/v1/programs');
    const landing = new URL(programs.programs.find((pr) => pr.id === outdoor.id)!.landingUrl).origin;
    expect(await page.getAttribute('input[name=url]', 'placeholder')).toBe(`${landing}/product/42`);
    // A deep link off the program's domains is refused, with the API's reason, the form kept.
    await page.getByLabel(/^Deep link/).fill('https://evil.example/p/1');
    await page.getByLabel('Sub-id 1').fill('browser-test');
    await page.getByRole('button', { name: 'Create link' }).click();
    await page.waitForSelector('[role=alert]');
    expect(await page.inputValue('input[name=sub1]')).toBe('browser-test');
    await page.getByLabel(/^Deep link/).fill('https://outdoor.example/p/stove-mini?color=red');
    await page.getByRole('button', { name: 'Create link' }).click();
    const created = await (await page.waitForSelector('[data-testid=created-url]')).inputValue();
    await page.getByRole('button', { name: 'Copy link' }).click();
    await expect.poll(() => page.textContent('#copy-status')).toBe('Copied to the clipboard');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(created);
    await page.screenshot({ path: `${SHOTS}/affiliate-link-builder.png`, fullPage: true });

    const links = await api<{ links: { trackingUrl: string; url: string; sub1: string; programId: string }[] }>(
      key,
      '/v1/links?limit=200',
    );
    expect(links.links.find((l) => l.trackingUrl === created)).toMatchObject({
      url: 'https://outdoor.example/p/stove-mini?color=red',
      sub1: 'browser-test',
      programId: outdoor.id,
    });
    // The link works: the redirect lands on the deep link with a click id.
    const redirect = await t.request(new URL(created).pathname);
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toMatch(/^https:\/\/outdoor\.example\/p\/stove-mini\?color=red&clid=/);
    await page.close();
  });

  it('affiliate on a phone: the overview fits the screen, tables scroll inside their box', async () => {
    const phone = await openBrowser({ viewport: { width: 390, height: 844 } });
    try {
      const page = await phone.context.newPage();
      await page.goto(`${base}/app/login`);
      await page.getByRole('textbox', { name: 'API key' }).fill(accounts.affiliates[1]!.apiKey);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(/\/app\/affiliate$/);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await page.screenshot({ path: `${SHOTS}/affiliate-phone.png`, fullPage: true });
    } finally {
      await phone.close();
    }
  });

  it('finance: payout runs equal the API; the CSV downloads as the API makes it; a run is marked paid; a bad run shows the reason', async () => {
    const key = accounts.finance.apiKey;
    const page = await signIn(key, /\/app\/finance$/);
    const { payouts } = await api<{
      payouts: { id: string; status: string; affiliates: number; total: Record<string, string> }[];
    }>(key, '/v1/payouts');
    expect(payouts.map((p) => p.status).sort()).toEqual(['created', 'paid']);
    expect(await tableRows(page, 'payouts-table')).toEqual(
      payouts.map((p) => ({
        key: p.id,
        status: p.status,
        affiliates: String(p.affiliates),
        total: Object.entries(p.total)
          .map(([c, a]) => `${a} ${c}`)
          .join(', '),
      })),
    );
    await page.screenshot({ path: `${SHOTS}/finance-runs.png`, fullPage: true });
    const open = payouts.find((p) => p.status === 'created')!;
    const [file] = await Promise.all([
      page.waitForEvent('download'),
      page.locator(`tr[data-key="${open.id}"] a[download]`).click(),
    ]);
    expect(readFileSync((await file.path())!, 'utf8')).toBe(await api<string>(key, `/v1/payouts/${open.id}/csv`));

    // The run's own page: every line to the cent, names from the run's CSV, then paid after a confirmation.
    await page.getByRole('link', { name: open.id, exact: true }).click();
    await page.waitForURL(new RegExp(`/app/finance/payouts/${open.id}$`));
    const detail = await api<{ lines: { affiliateId: string; currency: string; amount: string; entries: string[] }[] }>(
      key,
      `/v1/payouts/${open.id}`,
    );
    expect(detail.lines.length).toBeGreaterThan(0);
    expect(await tableRows(page, 'lines-table')).toEqual(
      detail.lines.map((l) => ({ key: `${l.affiliateId}:${l.currency}`, amount: l.amount, entries: String(l.entries.length) })),
    );
    expect(await page.textContent(`[data-testid=lines-table] tr[data-key="${detail.lines[0]!.affiliateId}:EUR"] th`)).not.toBe(
      detail.lines[0]!.affiliateId,
    );
    const runCsv = await download(page, 'CSV (every line)');
    expect(runCsv).toBe(await api<string>(key, `/v1/payouts/${open.id}/csv`));
    await page.screenshot({ path: `${SHOTS}/finance-run.png`, fullPage: true });
    await page.getByRole('link', { name: 'Mark paid…' }).click();
    await page.waitForSelector('[data-testid=confirm]');
    expect((await api<{ status: string }>(key, `/v1/payouts/${open.id}`)).status).toBe('created');
    await page.screenshot({ path: `${SHOTS}/finance-run-confirm.png`, fullPage: true });
    await page.getByRole('button', { name: 'Confirm: mark paid' }).click();
    await page.waitForURL(/done=/);
    expect((await api<{ status: string }>(key, `/v1/payouts/${open.id}`)).status).toBe('paid');
    expect(await page.textContent('[data-testid=run-summary] [data-field=status]')).toBe('paid');
    expect(await page.$$('text=Mark paid…')).toHaveLength(0);
    await page.getByRole('link', { name: 'Payout runs' }).click();
    await page.waitForURL(/\/app\/finance$/);
    expect(await page.textContent(`tr[data-key="${open.id}"] [data-field=status]`)).toBe('paid');

    await page.getByLabel(/^As of/).fill('2026-12-31T00:00:00Z');
    await page.getByRole('button', { name: 'Create run' }).click();
    await page.waitForSelector('[role=alert]');
    expect(await page.textContent('[role=alert]')).toContain('must not be later than the last commission batch');
    await expectAccessibleBasics(page, '/app/finance');
    await page.close();
  });
});
