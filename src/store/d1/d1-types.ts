/**
 * The parts of Cloudflare's D1 and Queue bindings we use, as structural types: the store
 * depends on what it calls, not on @cloudflare/workers-types (whose globals clash with the DOM
 * and Node types the rest of the project compiles against).
 */
export interface D1ResultMeta {
  changes: number;
  last_row_id: number;
  duration?: number;
}

export interface D1Result<T = Record<string, unknown>> {
  results: T[];
  success: boolean;
  meta: D1ResultMeta;
  error?: string;
}

export interface D1PreparedStatement {
  bind(...values: unknown[]): D1PreparedStatement;
  all<T = Record<string, unknown>>(): Promise<D1Result<T>>;
  run<T = Record<string, unknown>>(): Promise<D1Result<T>>;
  first<T = Record<string, unknown>>(): Promise<T | null>;
  /** Each row as an array of its column values, in the order selected. */
  raw<T = unknown[]>(): Promise<T[]>;
}

export interface D1Database {
  prepare(sql: string): D1PreparedStatement;
  /** Runs the statements in order as one implicit transaction: all commit or none (D1's only atomic unit). */
  batch<T = Record<string, unknown>>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]>;
  exec(sql: string): Promise<unknown>;
}

/** A service-style binding, such as the static assets one (`env.ASSETS`). */
export interface Fetcher {
  fetch(input: Request | string): Promise<Response>;
}

export interface QueueSendOptions {
  contentType?: 'json' | 'text' | 'bytes' | 'v8';
  delaySeconds?: number;
}

export interface Queue<Body> {
  send(body: Body, options?: QueueSendOptions): Promise<void>;
  sendBatch(messages: Iterable<{ body: Body }>): Promise<void>;
}

export interface QueueMessage<Body> {
  readonly id: string;
  readonly body: Body;
  readonly attempts: number;
  ack(): void;
  retry(options?: { delaySeconds?: number }): void;
}

export interface MessageBatch<Body> {
  readonly queue: string;
  readonly messages: readonly QueueMessage<Body>[];
  ackAll(): void;
  retryAll(options?: { delaySeconds?: number }): void;
}
