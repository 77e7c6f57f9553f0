import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { SHOWCASE } from '../../src/demo/demo-month';
import { makeTempDir, REPO_ROOT, removeDir, startServer, type ServerProcess } from '../support/server-process';

/**
 * `npm run seed` then `npm start`, as a new user would: the seed fills a fresh DATA_DIR, prints
 * the keys, refuses a second run on the same store, and the server started afterwards shows a
 * populated merchant dashboard to the printed merchant key.
 */
const dataDir = makeTempDir('clickledger-seed-');
let server: ServerProcess | undefined;

afterAll(async () => {
  await server?.kill('SIGTERM');
  removeDir(dataDir);
});

function seed(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/seed.ts', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, DATA_DIR: dataDir, LOG_FORMAT: 'text' },
    encoding: 'utf8',
    timeout: 120_000,
  });
}

describe('npm run seed', () => {
  it('fills a fresh instance that npm start then shows on the dashboard', { timeout: 180_000 }, async () => {
    const first = seed('--clicks', '2');
    expect(first.status, first.stderr).toBe(0);
    const merchantKey = /merchant {2}Acme Outdoor +(cl_mer_\S+)/.exec(first.stdout)?.[1];
    expect(merchantKey, first.stdout).toBeDefined();
    expect(first.stdout).toMatch(/affiliate Trail Blog +cl_aff_\S+/);
    expect(first.stdout).toMatch(/finance +cl_fin_\S+/);

    const again = seed('--clicks', '2');
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('already has merchants');

    server = await startServer({ dataDir, env: { BATCH_INTERVAL_SECONDS: '0' } });
    const login = await fetch(`${server.url}/app/login`);
    const loginCookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(await login.text())![1]!;
    const signedIn = await fetch(`${server.url}/app/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: loginCookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf, apiKey: merchantKey! }),
    });
    expect(signedIn.status).toBe(303);
    const session = signedIn.headers
      .getSetCookie()
      .find((c) => c.startsWith('cl_session='))!
      .split(';')[0]!;
    const page = await (await fetch(`${server.url}/app/merchant`, { headers: { cookie: session } })).text();
    // Three affiliates of Acme Outdoor in the table, each with clicks and commission.
    expect(page.match(/<tr data-key="aff_\d+"/g)?.length).toBe(3);
    const summary = (await (
      await fetch(`${server.url}/v1/reports/summary?from=2000-01-01&to=2000-01-01`, {
        headers: { authorization: `Bearer ${merchantKey}` },
      })
    ).json()) as unknown;
    expect(summary).toMatchObject({ rows: [] });
    const orders = (await (
      await fetch(`${server.url}/v1/orders?limit=200`, { headers: { authorization: `Bearer ${merchantKey}` } })
    ).json()) as { orders: { status: string; held: boolean }[] };
    expect(orders.orders.length).toBeGreaterThan(10);
    const statuses = new Set(orders.orders.map((o) => o.status));
    expect(statuses.has('completed') && statuses.has('refunded')).toBe(true);
    expect(orders.orders.some((o) => o.held)).toBe(true);

    // One order of each state, under the ids the seed prints, whatever the date.
    for (const id of Object.values(SHOWCASE)) expect(first.stdout).toContain(id);
    const api = async <T>(path: string, key = merchantKey!) =>
      (await (await fetch(`${server!.url}${path}`, { headers: { authorization: `Bearer ${key}` } })).json()) as T;
    const order = (id: string) => api<{ status: string; attribution: { held: boolean } }>(`/v1/orders/${id}`);
    expect(await order(SHOWCASE.held)).toMatchObject({ status: 'paid', attribution: { held: true } });
    expect(await order(SHOWCASE.refunded)).toMatchObject({ status: 'refunded' });
    expect(await order(SHOWCASE.cancelled)).toMatchObject({ status: 'cancelled' });
    expect(await order(SHOWCASE.clawback)).toMatchObject({ status: 'refunded' });
    // The clawback order: its commission (8 % of 189.00) paid in the day-21 run, then taken back.
    const entries = await api<{ commissions: { kind: string; amount: string; status: string; payoutId?: string | null }[] }>(
      `/v1/commissions?orderId=${SHOWCASE.clawback}`,
    );
    const clawback = entries.commissions.find((e) => e.kind === 'clawback');
    expect(clawback?.amount).toBe('-15.12');
    const paid = entries.commissions.find((e) => e.kind !== 'clawback' && e.amount === '15.12');
    expect(paid?.status).toBe('paid');
    const financeKey = /finance +(cl_fin_\S+)/.exec(first.stdout)![1]!;
    const paidRun = /paid payout run (\S+)/.exec(first.stdout)![1]!;
    expect(await api<{ status: string }>(`/v1/payouts/${paidRun}`, financeKey)).toMatchObject({ status: 'paid' });
  });
});
