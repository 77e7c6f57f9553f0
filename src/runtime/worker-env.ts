import { z } from 'zod';
import type { D1Database, Fetcher, Queue } from '../store/d1/d1-types';
import type { ClickMessage } from '../store/d1/d1-click-recorder';
import {
  adminTokenSetting,
  authThrottleSettings,
  webhookSettings,
  bodyLimitSetting,
  mailFromSetting,
  reportSettings,
  SIGNING_KEYS_MESSAGE,
  SIGNING_KEYS_PATTERN,
} from './config';

/**
 * The Workers entry's one config reader: bindings and secrets from `env`, validated with zod
 * before anything is built. A bad or missing value answers every request with a 500 naming the
 * variable (and logs it), instead of failing somewhere inside a request.
 */
const binding = <T>(name: string, methods: string[]) =>
  z.custom<T>(
    (value) =>
      typeof value === 'object' &&
      value !== null &&
      methods.every((m) => typeof (value as Record<string, unknown>)[m] === 'function'),
    `must be a ${name} binding (see wrangler.toml)`,
  );

const WorkerEnvSchema = z.object({
  DB: binding<D1Database>('D1 database', ['prepare', 'batch']),
  CLICKS: binding<Queue<ClickMessage>>('Queue producer', ['send']),
  /** `keyId:secret[,…]`, the first signs: the same format and keys as the Node service's. */
  CLICK_SIGNING_KEYS: z.string().regex(SIGNING_KEYS_PATTERN, SIGNING_KEYS_MESSAGE),
  /** Keys the stored IP and visitor hashes (`wrangler secret put VISITOR_HASH_KEY`). */
  VISITOR_HASH_KEY: z.string().min(32, 'must be at least 32 characters'),
  /**
   * The admin API key (`wrangler secret put ADMIN_TOKEN`), the Node service's rule: stored as a
   * hash on an isolate's first request, a changed token revokes the previous one. Unset: no
   * admin key is made (a generated one could only be shown in the logs).
   */
  ADMIN_TOKEN: adminTokenSetting,
  /** Static files for the dashboards (wrangler.toml `[assets]`); without it the pages have no chart. */
  ASSETS: binding<Fetcher>('static assets', ['fetch']).optional(),
  /** Base of tracking URLs, e.g. https://go.example.com. */
  PUBLIC_URL: z.url({ protocol: /^https?$/ }),
  BODY_LIMIT_BYTES: bodyLimitSetting,
  /** Failed key authentications per address and window, counted per isolate. */
  ...authThrottleSettings,
  ...webhookSettings,
  /**
   * Mail (docs/operations.md, "Mail"): queued in D1 always; sent by the cron through this HTTP
   * mail API when it is set (workerd has no SMTP client), left pending otherwise.
   */
  MAIL_API_URL: z.url({ protocol: /^https$/ }).optional(),
  MAIL_API_TOKEN: z.string().min(1).optional(),
  MAIL_FROM: mailFromSetting,
  /** Reports: a ClickHouse server over HTTP(S) (chDB is Node-only). Unset: report routes answer 503. */
  ...reportSettings,
});

export type WorkerEnv = z.infer<typeof WorkerEnvSchema>;

export class WorkerEnvError extends Error {
  override name = 'WorkerEnvError';
}

export function readWorkerEnv(env: Record<string, unknown>): WorkerEnv {
  // An empty variable means "not set", as on Node.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = WorkerEnvSchema.safeParse(present);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new WorkerEnvError(`invalid Workers environment:\n${lines.join('\n')}`);
  }
  return result.data;
}
