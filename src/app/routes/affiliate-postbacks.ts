import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppDeps } from '../../core/deps';
import { parseId } from '../../domain/ids';
import { POSTBACK_MACROS } from '../../domain/outbound-events';
import {
  deleteProgramPostback,
  getAffiliatePostbacks,
  listPostbackDeliveries,
  sendTestPostback,
  setAffiliatePostback,
  setProgramPostback,
} from '../../use-cases/affiliate-postbacks';
import type { AppEnv } from '../env';
import type { Authorize } from '../middleware/authorize';
import { authErrors, bearer, bodyErrors, errorResponses, json, jsonBody, NoQuery, pathId } from '../schemas/common';
import { guarded } from './guarded';
import { WebhookDelivery } from './webhook-endpoints';

const macros = POSTBACK_MACROS.map((m) => `{${m}}`).join(' ');
const Template = z.object({ url: z.string().max(2048) }).strict();
const ProgramParam = z.object({ programId: pathId('programId') });

const putAffiliatesMePostbackRoute = createRoute({
  method: 'put',
  path: '/v1/affiliates/me/postback',
  tags: ['webhooks'],
  summary: `Your default S2S postback URL, fired on your commissions' events in every program without its own; macros: ${macros}`,
  security: bearer,
  request: { body: jsonBody(Template) },
  responses: {
    200: json(z.object({ url: z.string(), updatedAt: z.string() }), 'Saved'),
    ...errorResponses(...authErrors, ...bodyErrors),
  },
});

const getAffiliatesMePostbackRoute = createRoute({
  method: 'get',
  path: '/v1/affiliates/me/postback',
  tags: ['webhooks'],
  summary: 'Your postback URLs: the default and those of single programs',
  security: bearer,
  request: { query: NoQuery },
  responses: {
    200: json(
      z.object({
        default: z.object({ url: z.string(), updatedAt: z.string() }).nullable(),
        programs: z.array(z.object({ programId: z.string(), url: z.string(), updatedAt: z.string() })),
      }),
      'Postback URLs',
    ),
    ...errorResponses(...authErrors, 'validation_failed'),
  },
});

const putProgramPostbackRoute = createRoute({
  method: 'put',
  path: '/v1/affiliates/me/programs/{programId}/postback',
  tags: ['webhooks'],
  summary: "A postback URL for one program you joined, used instead of your default for that program's commissions",
  security: bearer,
  request: { params: ProgramParam, body: jsonBody(Template) },
  responses: {
    200: json(z.object({ programId: z.string(), url: z.string(), updatedAt: z.string() }), 'Saved'),
    ...errorResponses(...authErrors, ...bodyErrors, 'not_found'),
  },
});

const deleteProgramPostbackRoute = createRoute({
  method: 'delete',
  path: '/v1/affiliates/me/programs/{programId}/postback',
  tags: ['webhooks'],
  summary: "Remove a program's own postback URL: the program falls back to your default",
  security: bearer,
  request: { params: ProgramParam },
  responses: { 204: { description: 'Removed' }, ...errorResponses(...authErrors, 'not_found') },
});

const getPostbackDeliveriesRoute = createRoute({
  method: 'get',
  path: '/v1/affiliates/me/postback/deliveries',
  tags: ['webhooks'],
  summary: 'Your last 100 postback deliveries, newest first, with every attempt (status code, latency, answer)',
  security: bearer,
  request: { query: NoQuery },
  responses: {
    200: json(z.object({ deliveries: z.array(WebhookDelivery) }), 'Deliveries'),
    ...errorResponses(...authErrors, 'validation_failed'),
  },
});

const postTestPostbackRoute = createRoute({
  method: 'post',
  path: '/v1/affiliates/me/programs/{programId}/postback/test',
  tags: ['webhooks'],
  summary:
    "Send a postback.test to the URL this program's commissions use (order TEST, status test, amounts 0), logged like any postback",
  security: bearer,
  request: { params: ProgramParam },
  responses: {
    202: json(
      z.object({ id: z.string(), eventId: z.string(), status: z.literal('pending'), nextAttemptAt: z.string() }),
      'Queued',
    ),
    ...errorResponses(...authErrors, 'not_found', 'validation_failed'),
  },
});

/** An affiliate's S2S postbacks (/v1/affiliates/me/postback*, per program): its own only. */
export function registerAffiliatePostbackRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps, authorize: Authorize) {
  const affiliate = authorize('affiliate');
  app.openapi(guarded(putAffiliatesMePostbackRoute, affiliate), async (c) =>
    c.json(await setAffiliatePostback(deps, c.get('principal').affiliateId!, c.req.valid('json').url), 200),
  );
  app.openapi(guarded(getAffiliatesMePostbackRoute, affiliate), async (c) =>
    c.json(await getAffiliatePostbacks(deps, c.get('principal').affiliateId!), 200),
  );
  app.openapi(guarded(getPostbackDeliveriesRoute, affiliate), async (c) =>
    c.json(await listPostbackDeliveries(deps, c.get('principal').affiliateId!), 200),
  );
  app.openapi(guarded(putProgramPostbackRoute, affiliate), async (c) => {
    const program = parseId('program', c.req.valid('param').programId);
    return c.json(await setProgramPostback(deps, c.get('principal').affiliateId!, program, c.req.valid('json').url), 200);
  });
  app.openapi(guarded(postTestPostbackRoute, affiliate), async (c) =>
    c.json(
      await sendTestPostback(deps, c.get('principal').affiliateId!, parseId('program', c.req.valid('param').programId)),
      202,
    ),
  );
  app.openapi(guarded(deleteProgramPostbackRoute, affiliate), async (c) => {
    await deleteProgramPostback(deps, c.get('principal').affiliateId!, parseId('program', c.req.valid('param').programId));
    return c.body(null, 204);
  });
}
