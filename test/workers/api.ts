import { SELF } from 'cloudflare:test';
import { Webhook } from 'standardwebhooks';

/** The ADMIN_TOKEN binding in vitest.config.ts: the Worker stores it on an isolate's first request. */
export const ADMIN_TOKEN = 'workers-admin-token-0123456789abcdef';
export const ORIGIN = 'https://go.example.com';

export interface Answer<T> {
  status: number;
  body: T;
}

/** One JSON call to the real Worker (SELF.fetch), as an API client would make it. */
export async function call<T = Record<string, unknown>>(
  path: string,
  options: { method?: string; key?: string; json?: unknown } = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = {};
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  if (options.json !== undefined) headers['content-type'] = 'application/json';
  const response = await SELF.fetch(`${ORIGIN}${path}`, {
    method: options.method ?? (options.json === undefined ? 'GET' : 'POST'),
    headers,
    ...(options.json === undefined ? {} : { body: JSON.stringify(options.json) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as T };
}

/** The shop's side of an order webhook, signed with the Standard Webhooks reference library (not our verifier). */
export function signedHeaders(secret: string, body: string, id: string, at = new Date()): Record<string, string> {
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, at, body),
  };
}

/** A visitor following a tracking link: the 302's click id. */
export async function clickThrough(code: string, ip = '192.0.2.44'): Promise<string> {
  const response = await SELF.fetch(`${ORIGIN}/c/${code}`, {
    redirect: 'manual',
    headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0', 'cf-connecting-ip': ip },
  });
  if (response.status !== 302) throw new Error(`/c/${code} answered ${response.status}`);
  return new URL(response.headers.get('location')!).searchParams.get('clid')!;
}
