import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { Role } from '../../core/principal';
import type { AppDeps } from '../../core/deps';
import type { AuthThrottle } from '../auth-throttle';
import type { AppEnv } from '../env';
import { AppError, errorBody } from '../../core/errors';
import { authenticate } from '../../use-cases/api-keys';

/**
 * Bearer-key authentication plus the route's role list (P21). The key is looked up on every
 * request, so a revoked key fails on the very next one (P22). An address that has sent too many
 * unknown keys is refused before the lookup (`throttle`).
 */
export function authorizer(deps: Pick<AppDeps, 'db' | 'crypto' | 'clock' | 'clientIp'>, throttle: AuthThrottle) {
  return (...roles: Role[]) =>
    createMiddleware<AppEnv>(async (c, next) => {
      const header = c.req.header('authorization') ?? '';
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!match) throw new AppError('unauthorized', 'send an API key as "Authorization: Bearer <key>"');
      const address = deps.clientIp(c);
      const retryAfter = throttle.retryAfterSeconds(address, deps.clock.now().getTime());
      if (retryAfter !== undefined) return rateLimited(c, retryAfter);
      const principal = await authenticate(deps, match[1]!);
      if (!principal) {
        throttle.failed(address, deps.clock.now().getTime());
        throw new AppError('unauthorized', 'unknown or revoked API key');
      }
      if (!roles.includes(principal.role)) {
        throw new AppError('forbidden', `this route is for ${roles.join(' or ')} keys, not ${principal.role}`);
      }
      c.set('principal', principal);
      await next();
    });
}

export type Authorize = ReturnType<typeof authorizer>;

/** 429 with the seconds to wait (by default: until the address's window of failed keys ends). */
export function rateLimited(
  c: Context,
  retryAfterSeconds: number,
  message = `too many failed authentications from this address; try again in ${retryAfterSeconds} s`,
) {
  return c.json(errorBody('rate_limited', message), 429, { 'Retry-After': String(retryAfterSeconds) });
}

/**
 * For routes that make, rotate or revoke keys: a key inside its rotation grace may still call
 * the API, but not these, or a stolen key could extend its own life or revoke its replacement.
 */
export const refuseRetiringKey = createMiddleware<AppEnv>(async (c, next) => {
  const retiresAt = c.get('principal').retiresAt;
  if (retiresAt !== undefined)
    throw new AppError('forbidden', `this key was rotated and stops working at ${retiresAt}; manage keys with its replacement`);
  await next();
});
