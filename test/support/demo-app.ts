import { seedDemoMonth, type DemoAccounts } from '../../src/demo/demo-month';
import { nodeCrypto } from '../../src/runtime/node-crypto';
import { ADMIN_TOKEN, startTestApp, TEST_IP_HEADER, type TestApp } from './test-app';

/** The real app over SQLite + chDB, filled with the demo month (`npm run seed`'s own scenario). */
export async function startDemoApp(clicksPerLinkDay = 4): Promise<{ t: TestApp; accounts: DemoAccounts }> {
  const t = await startTestApp({}, { clickhouse: true });
  const end = t.clock.now();
  const accounts = await seedDemoMonth(
    {
      request: (path, init) => t.app.request(path, init),
      setNow: (date) => {
        t.clock.current = date;
      },
      adminKey: ADMIN_TOKEN,
      ipHeader: TEST_IP_HEADER,
      crypto: nodeCrypto,
    },
    { end, clicksPerLinkDay },
  );
  return { t, accounts };
}
