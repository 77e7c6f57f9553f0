import { createRoute, type RouteConfig } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env';

/**
 * A module-level route with its role check put on where it is registered: the check looks the
 * key up, so it needs the deps, and the route's definition does not.
 */
export function guarded<R extends RouteConfig>(route: R, check: MiddlewareHandler<AppEnv>, ...more: MiddlewareHandler<AppEnv>[]) {
  return createRoute({ ...route, middleware: [check, ...more] as const });
}
