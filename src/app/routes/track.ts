import { type OpenAPIHono, type RouteConfig, z } from '@hono/zod-openapi';
import type { ClickIdSigner } from '../../domain/click-id';
import { SUB_ID_KEYS } from '../../domain/sub-id';
import type { AppDeps } from '../../core/deps';
import type { AppEnv } from '../env';
import { errorBody } from '../../core/errors';
import { errorResponses } from '../schemas/common';
import type { TrackingTargets } from '../../use-cases/tracking-targets';
import { CLICK_ID_PARAM } from '../../domain/click-id';
import { trackClick } from '../../use-cases/track-click';
import { LINK_CODE_PATTERN } from '../../use-cases/links';

export const CLICK_COOKIE = 'clid';

const NOT_FOUND_PAGE =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">' +
  '<meta name="robots" content="noindex"><title>Link not found</title></head><body style="font-family:system-ui;margin:3rem">' +
  '<h1>Link not found</h1><p>This tracking link does not exist or was removed.</p></body></html>';

const getCByCodeRoute: RouteConfig = {
  method: 'get',
  path: '/c/{code}',
  tags: ['tracking'],
  security: [],
  summary: 'Tracked redirect: 302 to the landing URL with clid=<click id>; also answers HEAD (counted as a bot)',
  request: {
    params: z.object({ code: z.string().openapi({ param: { name: 'code', in: 'path' }, example: 'aB3dE6gH' }) }),
    query: z.object(
      Object.fromEntries(
        SUB_ID_KEYS.map((k) => [k, z.string().optional().openapi({ description: "overrides the link's own value" })]),
      ),
    ),
  },
  responses: {
    302: {
      description: `Redirect to the landing URL with ${CLICK_ID_PARAM}=<click id>; sets the ${CLICK_COOKIE} cookie. Paused links redirect without a click id.`,
    },
    ...errorResponses('not_found'),
  },
};

export function registerTrackRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps, targets: TrackingTargets, sign: ClickIdSigner) {
  // Documented through the registry but served by a plain handler: the redirect is the hot
  // path and junk codes must be a 404, not a validation error.
  app.openAPIRegistry.registerPath(getCByCodeRoute);

  const publicHttps = deps.config.publicUrl.startsWith('https:');
  app.get('/c/:code', async (c) => {
    const code = c.req.param('code');
    const outcome = LINK_CODE_PATTERN.test(code)
      ? await trackClick(deps, targets, sign, {
          code,
          method: c.req.method,
          userAgent: c.req.header('user-agent') ?? '',
          referer: c.req.header('referer') ?? '',
          purpose: c.req.header('sec-purpose') ?? c.req.header('purpose') ?? '',
          ip: deps.clientIp(c),
          country: deps.country(c),
          query: c.req.query(),
        })
      : ({ kind: 'unknown_link' } as const);

    if (outcome.kind === 'unknown_link') {
      c.header('Cache-Control', 'no-store');
      if ((c.req.header('accept') ?? '').includes('text/html')) return c.html(NOT_FOUND_PAGE, 404);
      return c.json(errorBody('not_found', 'link not found'), 404);
    }
    // Headers as a plain object in one Response: the Node adapter writes it without building a
    // Headers instance, measurably cheaper on the hottest path.
    const headers: Record<string, string> = {
      location: outcome.location,
      'cache-control': 'private, no-store',
      'x-robots-tag': 'noindex',
    };
    if (outcome.clickId !== undefined && outcome.cookieMaxAge !== undefined) {
      const secure = publicHttps || c.req.url.startsWith('https:');
      headers['set-cookie'] =
        `${CLICK_COOKIE}=${outcome.clickId}; Max-Age=${outcome.cookieMaxAge}; Path=/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
    }
    return new Response(null, { status: 302, headers });
  });
}
