import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';

/**
 * Two projects in one `vitest run`, so one JSON report counts both: `node` (unit and
 * integration over real SQLite) and `workers` (the Workers entry inside workerd, with
 * Miniflare's local D1 and Queues; no network).
 */
const migrations = await readD1Migrations('./sql/sqlite');

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: { name: 'node', include: ['test/**/*.test.ts'], exclude: ['test/workers/**'], pool: 'forks' },
      },
      {
        extends: true,
        plugins: [
          cloudflareTest({
            main: './src/runtime/worker.ts',
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              bindings: {
                CLICK_SIGNING_KEYS: '2:current-signing-secret-for-tests-0123456789,1:previous-signing-secret-for-tests-987654321',
                VISITOR_HASH_KEY: 'visitor-key-for-workers-tests-0123456789',
                PUBLIC_URL: 'https://go.example.com',
                // The admin key the Worker stores on an isolate's first request (ADMIN_TOKEN in test/workers/api.ts).
                ADMIN_TOKEN: 'workers-admin-token-0123456789abcdef',
                TEST_MIGRATIONS: migrations,
              },
              // Deliver queued clicks to the consumer quickly in tests (production: wrangler.toml).
              queueConsumers: { 'clickledger-clicks': { maxBatchTimeout: 0.2 } },
            },
          }),
        ],
        test: { name: 'workers', include: ['test/workers/**/*.test.ts'], setupFiles: ['./test/workers/apply-migrations.ts'] },
      },
    ],
  },
});
