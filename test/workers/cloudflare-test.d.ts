// The few `cloudflare:test` / `cloudflare:workers` exports these tests use, typed structurally
// (the package's own declarations need @cloudflare/workers-types as globals, which clash with
// the DOM and Node types the rest of the project compiles against).
declare module 'cloudflare:test' {
  import type { D1Database } from '../../src/store/d1/d1-types';
  export interface D1Migration {
    name: string;
    queries: string[];
  }
  export const env: { DB: D1Database; TEST_MIGRATIONS: D1Migration[] } & Record<string, unknown>;
  export const SELF: { fetch(input: string | Request, init?: RequestInit & { cf?: Record<string, unknown> }): Promise<Response> };
  export function applyD1Migrations(db: D1Database, migrations: D1Migration[], migrationsTableName?: string): Promise<void>;
  export function createExecutionContext(): { waitUntil(p: Promise<unknown>): void; passThroughOnException(): void };
  export function waitOnExecutionContext(ctx: unknown): Promise<void>;
  export function createScheduledController(options?: { scheduledTime?: Date | number; cron?: string }): unknown;
  export function createMessageBatch<Body>(
    queueName: string,
    messages: { id: string; timestamp: Date; attempts: number; body: Body }[],
  ): import('../../src/store/d1/d1-types').MessageBatch<Body>;
  export function getQueueResult(
    batch: unknown,
    ctx: unknown,
  ): Promise<{
    outcome: string;
    retryBatch: { retry: boolean };
    ackAll: boolean;
    retryMessages: { msgId: string }[];
    explicitAcks: string[];
  }>;
}
