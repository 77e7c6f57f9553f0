import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppDeps } from '../../core/deps';
import type { AppEnv } from '../env';
import { AppError } from '../../core/errors';
import { errorResponses, json } from '../schemas/common';

const getHealthzRoute = createRoute({
  method: 'get',
  path: '/healthz',
  tags: ['operations'],
  security: [],
  summary: 'Alive: the process answers and its store opens (readiness is /readyz)',
  responses: { 200: json(z.object({ status: z.literal('ok') }), 'Alive'), ...errorResponses('unavailable') },
});

export function registerHealthRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps) {
  app.openapi(getHealthzRoute, async (c) => {
    if (await deps.healthy()) return c.json({ status: 'ok' as const }, 200);
    throw new AppError('unavailable', 'the store is not available');
  });
}
