import { env } from 'cloudflare:test';

export const WEBHOOK_SECRET = 'whsec_' + btoa('workers-test-webhook-key-24b');
export const LINK_CODE = 'edgeLink01';
const NOW = '2026-01-01T00:00:00.000Z';

/**
 * Merchant 1 with a webhook secret, affiliate 1 approved in program 1 (EUR, 8 %, landing page
 * https://shop.example/), and one link. Written as rows: creating accounts goes through
 * interactive transactions that D1 does not have (see README, "What differs on Workers").
 */
export async function seed(): Promise<void> {
  const plan = JSON.stringify({ default: { percent: '8' } });
  await env.DB.batch([
    env.DB.prepare('INSERT OR IGNORE INTO merchants (id, name, created_at) VALUES (1, ?, ?)').bind('Edge Shop', NOW),
    env.DB.prepare('INSERT OR IGNORE INTO webhook_secrets (id, merchant_id, secret, created_at) VALUES (1, 1, ?, ?)').bind(
      WEBHOOK_SECRET,
      NOW,
    ),
    env.DB.prepare('INSERT OR IGNORE INTO affiliates (id, name, created_at) VALUES (1, ?, ?)').bind('Edge Affiliate', NOW),
    env.DB.prepare(
      `INSERT OR IGNORE INTO programs (id, merchant_id, name, landing_url, allowed_domains, currency, cookie_days, lock_days, plan, status, created_at, updated_at)
       VALUES (1, 1, 'Edge', 'https://shop.example/', '["shop.example"]', 'EUR', 30, 0, ?, 'active', ?, ?)`,
    ).bind(plan, NOW, NOW),
    env.DB.prepare(
      `INSERT OR IGNORE INTO plan_versions (program_id, version, plan, effective_from, created_at) VALUES (1, 1, ?, '1970-01-01T00:00:00.000Z', ?)`,
    ).bind(plan, NOW),
    env.DB.prepare(
      `INSERT OR IGNORE INTO program_affiliates (program_id, affiliate_id, status, created_at, updated_at) VALUES (1, 1, 'approved', ?, ?)`,
    ).bind(NOW, NOW),
    env.DB.prepare(`INSERT OR IGNORE INTO links (id, code, program_id, affiliate_id, created_at) VALUES (1, ?, 1, 1, ?)`).bind(
      LINK_CODE,
      NOW,
    ),
  ]);
}
