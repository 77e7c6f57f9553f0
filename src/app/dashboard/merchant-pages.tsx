import type { Hono } from 'hono';
import type { AppEnv } from '../env';
import { registerMerchantHeldPages } from './merchant-held';
import { registerMerchantOrderPages } from './merchant-orders';
import { registerMerchantOverview } from './merchant-overview';
import { registerMerchantPlanPages } from './merchant-plan';
import { registerMerchantTokenPages } from './merchant-tokens';
import { registerMerchantWebhookPages } from './merchant-webhooks';
import type { PageRunner } from './page-runner';

/** The merchant's pages, one file each: overview, orders, held orders, plan, postback tokens, webhooks. */
export function registerMerchantPages(router: Hono<AppEnv>, run: PageRunner) {
  registerMerchantOverview(router, run);
  registerMerchantOrderPages(router, run);
  registerMerchantHeldPages(router, run);
  registerMerchantPlanPages(router, run);
  registerMerchantTokenPages(router, run);
  registerMerchantWebhookPages(router, run);
}
