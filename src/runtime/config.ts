import { z } from 'zod';
import { DATABASE_NAME } from '../clickhouse/clickhouse';
import { DEFAULT_MAX_REMEMBERED } from '../store/recent-visitors';

/** Shared with the Workers entry (worker-env.ts): the same keys sign on both runtimes. */
export const SIGNING_KEYS_PATTERN = /^[0-9]{1,3}:[A-Za-z0-9+/_=-]{32,}(,[0-9]{1,3}:[A-Za-z0-9+/_=-]{32,})*$/;
export const SIGNING_KEYS_MESSAGE = 'must be "keyId:secret[,keyId:secret…]" (secrets of 32+ base64 characters); the first signs';

/** The admin API key when the operator chooses it: the same rule on Node and Workers. */
export const adminTokenSetting = z.string().min(24, 'must be at least 24 characters').max(200).optional();

/** The largest request body taken, in bytes: the same rule on Node and Workers. */
export const bodyLimitSetting = z.coerce
  .number()
  .int()
  .min(1024)
  .max(64 * 1024 * 1024)
  .default(1024 * 1024);

const booleanFlag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** Where reports live and how long a report may run: the same variables on Node and Workers. */
export const reportSettings = {
  CLICKHOUSE_URL: z.url({ protocol: /^https?$/ }).optional(),
  CLICKHOUSE_DATABASE: z.string().regex(DATABASE_NAME, 'must be a plain identifier').default('clickledger'),
  CLICKHOUSE_USER: z.string().min(1).optional(),
  CLICKHOUSE_PASSWORD: z.string().optional(),
  REPORT_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(300).default(10),
  HEAVY_REQUESTS_PER_TENANT: z.coerce.number().int().min(1).max(100).default(2),
};

/**
 * Failed bearer-key authentications taken from one client address per window before it gets 429
 * (`rate_limited`) without a lookup: the same variables on Node and Workers.
 */
export const authThrottleSettings = {
  AUTH_FAILURE_LIMIT: z.coerce.number().int().min(1).max(100_000).default(20),
  AUTH_FAILURE_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
};

/**
 * Outbound webhooks and postbacks (docs/webhooks.md). WEBHOOK_ALLOW_PRIVATE=true admits http and
 * loopback or private receivers: for development and tests only, unsafe in production (SSRF).
 */
export const webhookSettings = {
  WEBHOOK_ALLOW_PRIVATE: booleanFlag.default(false),
};

/**
 * Outbound mail (docs/operations.md, "Mail"): SMTP_URL (smtp:// or smtps://, credentials in the
 * URL) names the server; without it messages are written as .eml files under DATA_DIR/mail/.
 */
/** The sender of every message: the same variable on Node and Workers. */
export const mailFromSetting = z.string().min(3).max(200).default('clickledger <noreply@localhost>');

export const mailSettings = {
  SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional(),
  MAIL_FROM: mailFromSetting,
  /** How often the server sends queued mail; 0 turns the timer off. */
  MAIL_INTERVAL_SECONDS: z.coerce.number().int().min(0).max(3600).default(5),
};

/**
 * Limits at the door (Node's HTTP server): a client that is slow to send its headers or its body,
 * or holds an idle keep-alive socket, is cut; beyond MAX_CONNECTIONS new sockets are closed.
 */
const serverLimitSettings = {
  HEADERS_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(600).default(20),
  REQUEST_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  KEEP_ALIVE_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(600).default(5),
  MAX_CONNECTIONS: z.coerce.number().int().min(1).max(1_000_000).default(8192),
};

const ConfigFields = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8787),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATA_DIR: z.string().min(1).default('./data'),
  ADMIN_TOKEN: adminTokenSetting,
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  CLICK_SIGNING_KEYS: z.string().regex(SIGNING_KEYS_PATTERN, SIGNING_KEYS_MESSAGE).optional(),
  TRUST_PROXY: booleanFlag.default(false),
  COUNTRY_HEADER: z
    .string()
    .regex(/^[A-Za-z0-9-]+$/)
    .default('cf-ipcountry'),
  SQLITE_SYNCHRONOUS: z.enum(['NORMAL', 'FULL']).default('NORMAL'),
  /**
   * postgres://user:password@host:port/database: the store is PostgreSQL, shared by every
   * instance given the same URL (docs/operations.md, "Scaling out"). Unset: SQLite under DATA_DIR.
   */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// (or postgresql://) URL')
    .optional(),
  /** Connections each instance keeps open to PostgreSQL. */
  DATABASE_POOL_SIZE: z.coerce.number().int().min(2).max(1000).default(10),
  UNIQUE_VISITORS_IN_MEMORY: z.coerce.number().int().min(1000).max(100_000_000).default(DEFAULT_MAX_REMEMBERED),
  BODY_LIMIT_BYTES: bodyLimitSetting,
  LOG_FORMAT: z.enum(['text', 'json']).default('text'),
  BATCH_INTERVAL_SECONDS: z.coerce.number().int().min(0).max(86_400).default(60),
  // Reports: chDB in-process under DATA_DIR/clickhouse unless CLICKHOUSE_URL names a server.
  ...reportSettings,
  ...serverLimitSettings,
  ...authThrottleSettings,
  ...webhookSettings,
  ...mailSettings,
  /** How often the server sends due webhooks and postbacks; 0 turns the timer off. */
  WEBHOOK_INTERVAL_SECONDS: z.coerce.number().int().min(0).max(3600).default(5),
  /** /readyz fails while the file system holding DATA_DIR has less free space than this. */
  READY_MIN_FREE_DISK_MB: z.coerce.number().int().min(0).max(1_000_000_000).default(256),
});

// Node refuses a headers timeout longer than the request timeout, which includes the headers.
const ConfigSchema = ConfigFields.refine((config) => config.HEADERS_TIMEOUT_SECONDS <= config.REQUEST_TIMEOUT_SECONDS, {
  path: ['HEADERS_TIMEOUT_SECONDS'],
  message: 'must not exceed REQUEST_TIMEOUT_SECONDS',
});

export type Config = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * The one place configuration is read. Every variable is validated here; a bad value stops
 * start-up with a message naming the variable.
 */
export function readConfig(env: Record<string, string | undefined>): Config {
  // An empty variable means "not set", as in most shells' `FOO= npm start`.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = ConfigSchema.safeParse(present);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return result.data;
}

/** Click signing keys from CLICK_SIGNING_KEYS, in the order given (the first signs). */
export function parseSigningKeys(text: string): { id: number; secret: string }[] {
  return text.split(',').map((pair) => {
    const at = pair.indexOf(':');
    return { id: Number(pair.slice(0, at)), secret: pair.slice(at + 1) };
  });
}
