import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { parseId } from '../../domain/ids';
import { MAX_SUB_ID_LENGTH } from '../../domain/sub-id';
import type { AppDeps } from '../../core/deps';
import type { AppEnv } from '../env';
import { notFound } from '../../core/errors';
import { guarded } from './guarded';
import type { Authorize } from '../middleware/authorize';
import { authErrors, bearer, bodyErrors, errorResponses, json, jsonBody, PageQuery } from '../schemas/common';
import { createLink, LINK_CODE_PATTERN, listLinks, setLinkStatus } from '../../use-cases/links';
import { hasLoneSurrogate, LONE_SURROGATE_MESSAGE } from '../../domain/unicode';

// eslint-disable-next-line no-control-regex
const SubId = z
  .string()
  .min(1)
  .max(MAX_SUB_ID_LENGTH)
  .regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters')
  .refine((text) => !hasLoneSurrogate(text), LONE_SURROGATE_MESSAGE);

const LinkCreate = z
  .object({
    programId: z.string().max(40).openapi({ example: 'prg_1' }),
    url: z
      .string()
      .max(2048)
      .optional()
      .openapi({ description: "a deep link on the program's allowed domains", example: 'https://shop.example/p/42' }),
    sub1: SubId.optional(),
    sub2: SubId.optional(),
    sub3: SubId.optional(),
    sub4: SubId.optional(),
    sub5: SubId.optional(),
  })
  .strict()
  .openapi('LinkCreate');

const Link = z
  .object({
    id: z.string(),
    code: z.string(),
    programId: z.string(),
    url: z.string().nullable(),
    trackingUrl: z.string(),
    sub1: z.string().nullable(),
    sub2: z.string().nullable(),
    sub3: z.string().nullable(),
    sub4: z.string().nullable(),
    sub5: z.string().nullable(),
    status: z.enum(['active', 'paused']),
    createdAt: z.string(),
  })
  .openapi('Link');

const CodeParam = z.object({
  code: z
    .string()
    .max(64)
    .openapi({ param: { name: 'code', in: 'path' }, example: 'aB3dE6gH' }),
});

const postLinksRoute = createRoute({
  method: 'post',
  path: '/v1/links',
  tags: ['links'],
  summary: 'Create a tracking link for a program the affiliate is approved for',
  security: bearer,
  request: { body: jsonBody(LinkCreate) },
  responses: { 201: json(Link, 'The link'), ...errorResponses(...authErrors, ...bodyErrors, 'not_found') },
});

const getLinksRoute = createRoute({
  method: 'get',
  path: '/v1/links',
  tags: ['links'],
  summary: "The affiliate's own links, oldest first",
  security: bearer,
  request: {
    query: PageQuery.extend({
      programId: z
        .string()
        .max(40)
        .optional()
        .openapi({ param: { name: 'programId', in: 'query' } }),
    }).strict(),
  },
  responses: {
    200: json(z.object({ links: z.array(Link), next: z.string().nullable() }), 'A page of links'),
    ...errorResponses(...authErrors, 'validation_failed'),
  },
});

const patchLinksByCodeRoute = createRoute({
  method: 'patch',
  path: '/v1/links/{code}',
  tags: ['links'],
  summary: 'Pause or resume one of your links',
  security: bearer,
  request: { params: CodeParam, body: jsonBody(z.object({ status: z.enum(['active', 'paused']) }).strict()) },
  responses: { 200: json(Link, 'The link'), ...errorResponses(...authErrors, ...bodyErrors, 'not_found') },
});

export function registerLinkRoutes(
  app: OpenAPIHono<AppEnv>,
  deps: AppDeps & { onTrackingChange: () => void },
  authorize: Authorize,
) {
  app.openapi(guarded(postLinksRoute, authorize('affiliate')), async (c) => {
    const body = c.req.valid('json');
    return c.json(await createLink(deps, c.get('principal'), { ...body, programId: parseId('program', body.programId) }), 201);
  });

  app.openapi(guarded(getLinksRoute, authorize('affiliate')), async (c) => {
    const query = c.req.valid('query');
    const after = query.after === undefined ? undefined : parseId('link', query.after);
    const programId = query.programId === undefined ? undefined : parseId('program', query.programId);
    if ((query.after !== undefined && after === undefined) || (query.programId !== undefined && programId === undefined)) {
      return c.json({ links: [], next: null }, 200);
    }
    return c.json(await listLinks(deps, c.get('principal'), { limit: query.limit, after, programId }), 200);
  });

  app.openapi(guarded(patchLinksByCodeRoute, authorize('affiliate')), async (c) => {
    const { code } = c.req.valid('param');
    if (!LINK_CODE_PATTERN.test(code)) throw notFound('link');
    return c.json(await setLinkStatus(deps, c.get('principal'), code, c.req.valid('json').status), 200);
  });
}
