import { swaggerUI } from '@hono/swagger-ui';
import type { Hono } from 'hono';
import type { AppDeps } from '../../core/deps';
import type { AppEnv } from '../env';
import { serveAsset } from '../static-asset';

/**
 * `/docs`: Swagger UI over `/openapi.json`, its script and stylesheet served by the service from
 * the pinned swagger-ui-dist package (Swagger UI's default is a CDN, blank on a closed network).
 */
export function registerApiDocsRoutes(app: Hono<AppEnv>, deps: Pick<AppDeps, 'assets'>) {
  const base = '/docs/assets';
  app.get('/docs', swaggerUI({ url: '/openapi.json', baseUrl: base, title: 'clickledger API' }));
  app.get(`${base}/swagger-ui-dist/swagger-ui.css`, (c) => serveAsset(c, deps, 'swagger-ui.css'));
  app.get(`${base}/swagger-ui-dist/swagger-ui-bundle.js`, (c) => serveAsset(c, deps, 'swagger-ui-bundle.js'));
}
