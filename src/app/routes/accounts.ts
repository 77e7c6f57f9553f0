import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { formatId, parseId } from '../../domain/ids';
import type { AppDeps } from '../../core/deps';
import type { AppEnv } from '../env';
import { notFound } from '../../core/errors';
import { guarded } from './guarded';
import { type Authorize, refuseRetiringKey } from '../middleware/authorize';
import { authErrors, bearer, bodyErrors, errorResponses, json, jsonBody, NameSchema, NoQuery } from '../schemas/common';
import { createAffiliate, createFinanceKey, createMerchant } from '../../use-cases/accounts';
import { listKeys, MAX_ROTATION_GRACE_SECONDS, revokeKey, rotateKey } from '../../use-cases/api-keys';

const MerchantCreated = z
  .object({ id: z.string(), name: z.string(), apiKey: z.string(), keyId: z.string(), webhookSecret: z.string() })
  .openapi('MerchantCreated');
const AffiliateCreated = z
  .object({
    id: z.string(),
    name: z.string(),
    email: z.string().nullable(),
    parentId: z.string().nullable(),
    apiKey: z.string(),
    keyId: z.string(),
  })
  .openapi('AffiliateCreated');
const KeyCreated = z.object({ apiKey: z.string(), keyId: z.string() }).openapi('KeyCreated');
const KeyView = z
  .object({
    id: z.string(),
    prefix: z.string(),
    role: z.string(),
    merchantId: z.string().nullable(),
    affiliateId: z.string().nullable(),
    createdAt: z.string(),
    revokedAt: z.string().nullable(),
  })
  .openapi('ApiKey');
const KeyParam = z.object({
  id: z
    .string()
    .max(40)
    .openapi({ param: { name: 'id', in: 'path' }, example: 'key_7' }),
});

const postMerchantsRoute = createRoute({
  method: 'post',
  path: '/v1/merchants',
  tags: ['accounts'],
  summary: 'Create a merchant; its API key and webhook secret are shown only here',
  security: bearer,
  request: { body: jsonBody(z.object({ name: NameSchema }).strict()) },
  responses: { 201: json(MerchantCreated, 'The merchant'), ...errorResponses(...authErrors, ...bodyErrors) },
});

const postAffiliatesRoute = createRoute({
  method: 'post',
  path: '/v1/affiliates',
  tags: ['accounts'],
  summary: 'Create an affiliate (with parentId for one recruited by another affiliate)',
  security: bearer,
  request: {
    body: jsonBody(
      z
        .object({
          name: NameSchema,
          email: z.email().max(320).optional(),
          parentId: z.string().max(40).optional().openapi({ example: 'aff_1' }),
        })
        .strict(),
    ),
  },
  responses: {
    201: json(AffiliateCreated, 'The affiliate'),
    ...errorResponses(...authErrors, ...bodyErrors, 'not_found'),
  },
});

const postFinanceKeysRoute = createRoute({
  method: 'post',
  path: '/v1/finance-keys',
  tags: ['accounts'],
  summary: 'Create a finance API key',
  security: bearer,
  responses: { 201: json(KeyCreated, 'The key, shown once'), ...errorResponses(...authErrors) },
});

const getKeysRoute = createRoute({
  method: 'get',
  path: '/v1/keys',
  tags: ['keys'],
  summary: "List the caller's keys (admin: all keys); never the keys themselves",
  security: bearer,
  request: { query: NoQuery },
  responses: { 200: json(z.object({ keys: z.array(KeyView) }), 'Keys'), ...errorResponses(...authErrors, 'validation_failed') },
});

const postKeysRevokeRoute = createRoute({
  method: 'post',
  path: '/v1/keys/{id}/revoke',
  tags: ['keys'],
  summary: 'Revoke a key at once',
  security: bearer,
  request: { params: KeyParam },
  responses: {
    200: json(z.object({ id: z.string(), revokedAt: z.string() }), 'Revoked'),
    ...errorResponses(...authErrors, 'not_found'),
  },
});

const postKeysRotateRoute = createRoute({
  method: 'post',
  path: '/v1/keys/{id}/rotate',
  tags: ['keys'],
  summary: 'Issue a new key with the same role and tenant; the old one stops after graceSeconds',
  security: bearer,
  request: {
    params: KeyParam,
    body: {
      required: false,
      content: {
        'application/json': {
          schema: z.object({ graceSeconds: z.number().int().min(0).max(MAX_ROTATION_GRACE_SECONDS).default(0) }).strict(),
        },
      },
    },
  },
  responses: {
    201: json(z.object({ apiKey: z.string(), keyId: z.string(), oldKeyRevokedAt: z.string() }), 'The new key, shown once'),
    ...errorResponses(...authErrors, ...bodyErrors, 'not_found', 'conflict'),
  },
});

export function registerAccountRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps, authorize: Authorize) {
  app.openapi(guarded(postMerchantsRoute, authorize('admin'), refuseRetiringKey), async (c) =>
    c.json(await createMerchant(deps, c.req.valid('json')), 201),
  );

  app.openapi(guarded(postAffiliatesRoute, authorize('admin'), refuseRetiringKey), async (c) => {
    const body = c.req.valid('json');
    let parentId: number | undefined;
    if (body.parentId !== undefined) {
      parentId = parseId('affiliate', body.parentId);
      if (parentId === undefined) throw notFound('parent affiliate');
    }
    return c.json(await createAffiliate(deps, { name: body.name, email: body.email, parentId }), 201);
  });

  app.openapi(guarded(postFinanceKeysRoute, authorize('admin'), refuseRetiringKey), async (c) =>
    c.json(await createFinanceKey(deps), 201),
  );

  app.openapi(guarded(getKeysRoute, authorize('admin', 'merchant', 'affiliate', 'finance')), async (c) =>
    c.json({ keys: await listKeys(deps, c.get('principal')) }, 200),
  );

  app.openapi(
    guarded(postKeysRevokeRoute, authorize('admin', 'merchant', 'affiliate', 'finance'), refuseRetiringKey),
    async (c) => {
      const { id } = c.req.valid('param');
      const keyId = parseId('key', id);
      if (keyId === undefined) throw notFound('key');
      const result = await revokeKey(deps, c.get('principal'), keyId);
      return c.json({ id, ...result }, 200);
    },
  );

  app.openapi(
    guarded(postKeysRotateRoute, authorize('admin', 'merchant', 'affiliate', 'finance'), refuseRetiringKey),
    async (c) => {
      const { id } = c.req.valid('param');
      const keyId = parseId('key', id);
      if (keyId === undefined) throw notFound('key');
      const body = (c.req.valid('json') as { graceSeconds?: number } | undefined) ?? {};
      const rotated = await rotateKey(deps, c.get('principal'), keyId, body.graceSeconds ?? 0);
      return c.json(
        { apiKey: rotated.apiKey, keyId: formatId('key', rotated.keyId), oldKeyRevokedAt: rotated.oldKeyRevokedAt },
        201,
      );
    },
  );
}
