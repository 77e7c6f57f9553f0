import { applyD1Migrations, env } from 'cloudflare:test';

// The same sql/sqlite/ files the Node store runs, applied the way `wrangler d1 migrations apply` does.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
