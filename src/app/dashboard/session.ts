import type { Context } from 'hono';
import { getCookie, setCookie, deleteCookie } from 'hono/cookie';
import { encodeBase64Url } from '../../domain/base64url';
import { constantTimeEqual } from '../../domain/constant-time';
import type { AppDeps } from '../../core/deps';
import type { Principal } from '../../core/principal';
import { authenticate } from '../../use-cases/api-keys';

/**
 * The dashboard's session is the API key itself, in an HttpOnly, SameSite=Strict cookie: the
 * key is looked up on every page like on every API call (the same `authenticate`), so a revoked
 * key ends its sessions at the next click and there is no second auth system to keep in sync.
 * Page scripts never see it (HttpOnly); other sites never send it (Strict).
 */
export const SESSION_COOKIE = 'cl_session';
/** Before sign-in there is no key to bind a CSRF token to: a random double-submit cookie instead. */
export const LOGIN_CSRF_COOKIE = 'cl_login_csrf';
const SESSION_SECONDS = 8 * 3600;

type SessionDeps = Pick<AppDeps, 'db' | 'crypto' | 'clock' | 'clickSecrets'>;

export interface Session {
  apiKey: string;
  principal: Principal;
  csrf: string;
}

/** Secure whenever the browser reached us over https (directly or through a proxy saying so). */
function secure(c: Context): boolean {
  return new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https';
}

const cookieOptions = (c: Context, maxAge: number) =>
  ({ httpOnly: true, sameSite: 'Strict', secure: secure(c), path: '/app', maxAge }) as const;

/**
 * The CSRF token of a session: an HMAC of the key's hash under a server secret, with a label of
 * its own so it can never collide with the visitor hashes the same secret keys. It needs no
 * storage, changes with the key, and cannot be made without the server's secret.
 */
export function csrfToken(deps: SessionDeps, apiKey: string): string {
  return encodeBase64Url(deps.crypto.hmacSha256(deps.clickSecrets.visitorKey, `dashboard-csrf:${deps.crypto.sha256Hex(apiKey)}`));
}

export function sameToken(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const encoder = new TextEncoder();
  return constantTimeEqual(encoder.encode(a), encoder.encode(b));
}

export async function readSession(deps: SessionDeps, c: Context): Promise<Session | undefined> {
  const apiKey = getCookie(c, SESSION_COOKIE);
  if (!apiKey) return undefined;
  const principal = await authenticate(deps, apiKey);
  if (!principal) return undefined;
  return { apiKey, principal, csrf: csrfToken(deps, apiKey) };
}

export function startSession(c: Context, apiKey: string) {
  setCookie(c, SESSION_COOKIE, apiKey, cookieOptions(c, SESSION_SECONDS));
  deleteCookie(c, LOGIN_CSRF_COOKIE, { path: '/app' });
}

export function endSession(c: Context) {
  deleteCookie(c, SESSION_COOKIE, { path: '/app', secure: secure(c) });
}

/** The sign-in form's token: reuses the cookie already set, or sets a fresh random one. */
export function loginCsrf(deps: SessionDeps, c: Context): string {
  const existing = getCookie(c, LOGIN_CSRF_COOKIE);
  if (existing && /^[A-Za-z0-9_-]{32}$/.test(existing)) return existing;
  const token = encodeBase64Url(deps.crypto.randomBytes(24));
  setCookie(c, LOGIN_CSRF_COOKIE, token, cookieOptions(c, 3600));
  return token;
}

export function checkLoginCsrf(c: Context, submitted: string | undefined): boolean {
  const cookie = getCookie(c, LOGIN_CSRF_COOKIE);
  return cookie !== undefined && sameToken(submitted, cookie);
}
