import { type OpenAPIHono, type RouteConfig, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { checkCatalog, MAX_CATALOG_ITEMS, parseCatalogCsv } from '../../domain/catalog';
import { parseId } from '../../domain/ids';
import type { AppDeps } from '../../core/deps';
import type { AppEnv } from '../env';
import { AppError, validationFailed } from '../../core/errors';
import type { Authorize } from '../middleware/authorize';
import { authErrors, bearer, bodyErrors, errorResponses, json, pathId } from '../schemas/common';
import { replaceCatalog } from '../../use-cases/catalog';
import { decodeUtf8, parseJsonBytes } from '../utf8';

const CatalogJson = z
  .object({ items: z.array(z.object({ sku: z.string(), category: z.string() }).strict()).max(MAX_CATALOG_ITEMS) })
  .strict()
  .openapi('Catalog', {
    example: {
      items: [
        { sku: 'S1', category: 'shoes' },
        { sku: 'TV-55', category: 'electronics' },
      ],
    },
  });

/** The catalogue from a JSON or CSV body, checked whole before anything is replaced. */
async function readCatalog(c: Context<AppEnv>) {
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'text/csv') {
    const text = decodeUtf8(await c.req.arrayBuffer());
    if (text === undefined) throw new AppError('bad_request', 'the CSV must be UTF-8');
    const parsed = parseCatalogCsv(text);
    if (!parsed.ok) throw new AppError('validation_failed', parsed.message);
    return parsed.items;
  }
  if (type !== 'application/json')
    throw new AppError('unsupported_media_type', 'send the catalogue as application/json or text/csv');
  const body = CatalogJson.safeParse(parseJsonBytes(new Uint8Array(await c.req.arrayBuffer())));
  if (!body.success) throw validationFailed(body.error.issues);
  const checked = checkCatalog(body.data.items, (i) => `items[${i}]`);
  if (!checked.ok) throw new AppError('validation_failed', checked.message);
  return checked.items;
}

const putProgramsCatalogRoute: RouteConfig = {
  method: 'put',
  path: '/v1/programs/{id}/catalog',
  tags: ['programs'],
  summary: "Replace the program's SKU → category catalogue (JSON or CSV with sku and category columns)",
  description:
    'Order lines carry SKUs, not categories: every intake path (orders, postback, shop connectors) fills in the category of a line sent without one from this catalogue. ' +
    'A line whose SKU is not in it earns the default rate, and its receipt and ledger explanation say so. The upload replaces the whole catalogue; orders already stored keep the categories they were stored with.',
  security: bearer,
  request: {
    params: z.object({
      id: pathId('id'),
    }),
    body: {
      required: true,
      content: {
        'application/json': { schema: CatalogJson },
        'text/csv': { schema: z.string().openapi({ example: 'sku,category\nS1,shoes\nTV-55,electronics\n' }) },
      },
    },
  },
  responses: {
    200: json(
      z.object({ programId: z.string(), items: z.number().int(), categories: z.array(z.string()) }),
      'The catalogue now in force',
    ),
    ...errorResponses(...authErrors, ...bodyErrors, 'bad_request', 'not_found', 'unsupported_media_type'),
  },
};

export function registerCatalogRoutes(
  app: OpenAPIHono<AppEnv>,
  deps: AppDeps & { onTrackingChange: () => void },
  authorize: Authorize,
) {
  app.openAPIRegistry.registerPath(putProgramsCatalogRoute);

  app.put('/v1/programs/:id/catalog', authorize('merchant'), async (c) => {
    const programId = parseId('program', c.req.param('id'));
    const items = await readCatalog(c);
    const saved = await replaceCatalog(deps, c.get('principal'), programId, items);
    deps.onTrackingChange();
    return c.json(saved, 200);
  });
}
