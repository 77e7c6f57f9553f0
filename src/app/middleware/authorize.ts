import { createMiddleware } from 'hono/factory';
import type { Role } from '../../core/principal';
import type { AppDeps } from '../../core/deps';
import type { AppEnv } from '../env';
import { AppError } from '../../core/errors';
import { authenticate } from '../../use-cases/api-keys';

/**
 * Bearer-key authentication plus the route's role list (P21). The key is looked up on every
 * request, so a revoked key fails on the very next one (P22).
 */
export function authorizer(deps: Pick<AppDeps, 'db' | 'crypto' | 'clock'>) {
  return (...roles: Role[]) =>
    createMiddleware<AppEnv>(async (c, next) => {
      const header = c.req.header('authorization') ?? '';
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!match) throw new AppError('unauthorized', 'send an API key as "Authorization: Bearer <key>"');
      const principal = await authenticate(deps, match[1]!);
      if (!principal) throw new AppError('unauthorized', 'unknown or revoked API key');
      if (!roles.includes(principal.role)) {
        throw new AppError('forbidden', `this route is for ${roles.join(' or ')} keys, not ${principal.role}`);
      }
      c.set('principal', principal);
      await next();
    });
}

export type Authorize = ReturnType<typeof authorizer>;
