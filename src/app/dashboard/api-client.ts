import type { ErrorCode } from '../../core/errors';

/** What the pages need of the app: its own fetch, so a page is one more client of the API. */
export interface InProcessApp {
  request(path: string, init: RequestInit, env?: unknown): Response | Promise<Response>;
}

/**
 * The page request's connection, passed on to its in-process API calls so the API sees the same
 * client address (the audit log records it): the runtime's env (Node's socket) and the page
 * request's headers (`X-Forwarded-For` under TRUST_PROXY, `CF-Connecting-IP`), whichever the
 * runtime reads it from; the API call's own headers replace the body and credential ones.
 */
export interface ClientOrigin {
  env: unknown;
  headers: Record<string, string>;
}

const NOT_PASSED_ON = new Set([
  'cookie',
  'authorization',
  'content-type',
  'content-length',
  'transfer-encoding',
  'accept',
  'accept-encoding',
]);

export function originOf(env: unknown, headers: Headers): ClientOrigin {
  const kept: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (!NOT_PASSED_ON.has(name.toLowerCase())) kept[name] = value;
  });
  return { env, headers: kept };
}

/** An API answer that was not a success, carried to the page as a friendly message. */
export class ApiCallError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode | 'unknown',
    message: string,
  ) {
    super(message);
    this.name = 'ApiCallError';
  }
}

/**
 * Calls the API in-process with the session's key. The pages hold no business logic and no
 * tenancy rules of their own: every number and every check is the API's (the same route, zod
 * schema, role list and tenant scoping), so a page can never show what the key could not fetch.
 */
export function apiClient(app: InProcessApp, apiKey: string, origin?: ClientOrigin) {
  async function call(method: string, path: string, body?: unknown): Promise<Response> {
    const headers = new Headers({ ...origin?.headers, authorization: `Bearer ${apiKey}`, accept: 'application/json' });
    if (body !== undefined) headers.set('content-type', 'application/json');
    const response = await app.request(
      path,
      { method, headers, body: body === undefined ? undefined : JSON.stringify(body) },
      origin?.env,
    );
    if (response.ok) return response;
    let code: ErrorCode | 'unknown' = 'unknown';
    let message = `the service answered ${response.status}`;
    try {
      const parsed = (await response.json()) as { error?: { code?: ErrorCode; message?: string } };
      if (parsed.error?.code) code = parsed.error.code;
      if (parsed.error?.message) message = parsed.error.message;
    } catch {
      // Not our envelope: keep the status line.
    }
    throw new ApiCallError(response.status, code, message);
  }
  return {
    async get<T>(path: string): Promise<T> {
      return (await (await call('GET', path)).json()) as T;
    },
    async send<T>(method: 'POST' | 'PATCH' | 'PUT', path: string, body?: unknown): Promise<T> {
      return (await (await call(method, path, body)).json()) as T;
    },
    /** A download (CSV) passed through as the API made it: same bytes, same headers. */
    raw(path: string): Promise<Response> {
      return call('GET', path);
    },
  };
}

export type ApiClient = ReturnType<typeof apiClient>;

/** A query string from defined values only, so no "undefined" ever reaches the API. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params))
    if (value !== undefined && value !== null && value !== '') search.set(name, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}
