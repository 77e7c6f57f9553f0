import type { Context } from 'hono';
import type { Kysely } from 'kysely';
import type { ReportStore } from '../clickhouse/clickhouse';
import type { AtomicWrites } from '../store/atomic-writes';
import type { ClickRecorder } from '../store/click-recorder';
import type { Database } from '../store/database';
import type { OrderIntakeStore } from '../store/order-intake-store';
import type { RowReader } from '../store/row-reader';

/** Hashing and randomness, injected so the app imports no runtime (node:crypto, Web Crypto). */
export interface AppCrypto {
  /** HMAC-SHA256 of the parts as one message: signed content need not be joined into a copy first. */
  hmacSha256(key: Uint8Array, ...parts: (Uint8Array | string)[]): Uint8Array;
  sha256Hex(text: string): string;
  randomBytes(length: number): Uint8Array;
}

export interface ClickSecrets {
  /** The key id new click ids are signed with. */
  signingKeyId: number;
  /** Every key id still accepted when verifying, the signing one included. */
  keys: ReadonlyMap<number, Uint8Array>;
  /** Keys the IP and visitor hashes, so stored hashes cannot be reversed by hashing all IPs. */
  visitorKey: Uint8Array;
}

export interface Clock {
  now(): Date;
}

export interface AppConfig {
  /** Public base URL of the tracking host, used to build tracking URLs ("https://go.example"). */
  publicUrl: string;
  bodyLimitBytes: number;
  /** A report query running longer is cut by ClickHouse (max_execution_time). */
  reportTimeoutSeconds?: number;
  /** Failed key authentications one client address may make per window before 429 (default 20 per 60 s). */
  authFailureLimit?: number;
  authFailureWindowSeconds?: number;
  /**
   * Webhook and postback receivers may be http and on loopback or private addresses
   * (WEBHOOK_ALLOW_PRIVATE=true): for development and tests, unsafe in production (SSRF).
   */
  webhookAllowPrivate?: boolean;
  /** Heavy requests (what-if, payout detail, payout CSV) one tenant may run at once (default 2). */
  heavyRequestsPerTenant?: number;
}

/**
 * Static files the pages need from the runtime (the chart library from node_modules on Node, a
 * bundled asset on Workers), so the app itself never reads a file system.
 */
/** The browser files the service serves itself, by name (src/runtime/static-files.ts). */
export type AssetName = 'chart.js' | 'swagger-ui.css' | 'swagger-ui-bundle.js';

export interface AssetReader {
  read(name: AssetName): Promise<string | undefined>;
}

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/**
 * Everything the Hono app needs from the outside world. Each runtime (Node, Workers) builds
 * these at its own composition root; no route reaches past them.
 */
export interface AppDeps {
  /** Reads, and single statements; also compiles the statements `writes` commits. */
  db: Kysely<Database>;
  /**
   * Every write of several rows that must land together (accounts, keys, plans, payouts, the
   * commission batch): a transaction on SQLite, one batch() on D1, which has no transactions.
   */
  writes: AtomicWrites;
  /** Large reads (the payout CSV) as arrays rather than an object per row. */
  rows: RowReader;
  clicks: ClickRecorder;
  orderIntake: OrderIntakeStore;
  /** ClickHouse for reports; absent only where a runtime runs without one (the report routes then answer 503). */
  reports?: ReportStore;
  clock: Clock;
  crypto: AppCrypto;
  clickSecrets: ClickSecrets;
  config: AppConfig;
  /** The visitor's IP as the runtime sees it (socket, CF-Connecting-IP, trusted proxy). */
  clientIp(c: Context): string;
  /** The visitor's country as the edge reports it (CF-IPCountry or similar); normalised by the app. */
  country(c: Context): string;
  /** Runs work after the response (waitUntil on Workers, a detached promise on Node). */
  defer(c: Context, work: Promise<unknown>): void;
  log: Logger;
  /** Files for the dashboards; without it the pages work and only the charts are missing. */
  assets?: AssetReader;
  /** Outgoing HTTP (the WooCommerce REST refund lookup); the runtime's fetch when absent. */
  fetch?: typeof fetch;
  /**
   * Where batch runs could overlap (Workers: the cron and the admin route, in different
   * isolates), runs `work` only while holding the batch lease; undefined when another run holds
   * it. Absent on Node, where runBatchJob queues the runs of its one process.
   */
  exclusiveBatch?<T>(now: Date, work: () => Promise<T>): Promise<T | undefined>;
  /** Liveness (/healthz): true while the store answers. */
  healthy(): Promise<boolean>;
  /** Readiness (/readyz), by name: the runtime's checks of what traffic needs (store, disk, ClickHouse). */
  readinessProbes?: Readonly<Record<string, ReadinessProbe>>;
}

/** One readiness check: resolves when the dependency can serve, rejects saying what is wrong. */
export type ReadinessProbe = () => Promise<void>;
