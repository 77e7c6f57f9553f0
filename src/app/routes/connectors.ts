import { createRoute, type OpenAPIHono, type RouteConfig, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { ClickIdSigner } from '../../domain/click-id';
import { CONNECTOR_PLATFORMS, type ConnectorPlatform } from '../../domain/connectors/connector-order';
import { verifyPlatformSignature } from '../../domain/connectors/platform-signature';
import { MappingError, parsePlatformJson } from '../../domain/connectors/platform-json';
import { mapShopifyOrder, mapShopifyRefund, SHOPIFY_ORDER_TOPICS, SHOPIFY_REFUND_TOPIC } from '../../domain/connectors/shopify';
import { mapWooDeletion, mapWooOrder, WOO_DELETE_TOPIC, WOO_ORDER_TOPICS } from '../../domain/connectors/woocommerce';
import { parseId } from '../../domain/ids';
import type { AppDeps } from '../../core/deps';
import type { AppEnv } from '../env';
import { AppError, notFound } from '../../core/errors';
import { signatureRejected } from '../signature-rejection';
import { decodeUtf8 } from '../utf8';
import type { IntakePrograms } from '../../use-cases/intake-programs';
import { guarded } from './guarded';
import type { Authorize } from '../middleware/authorize';
import { authErrors, bearer, bodyErrors, errorResponses, json, jsonBody, pathId } from '../schemas/common';
import {
  type ConnectorOutcome,
  recordConnectorDeletion,
  recordConnectorOrder,
  recordConnectorRefund,
} from '../../use-cases/connector-intake';
import { wooRefundDetail } from '../../use-cases/woo-refund-detail';
import { activeConnectorSecrets, MAX_CONNECTOR_GRACE_SECONDS, setConnectorSettings } from '../../use-cases/connector-settings';
import { ConnectorIgnored, ConnectorPending, ConnectorResult, WebhookProgramParam } from '../schemas/connector';

/**
 * The REST lookup sends the merchant's credentials to this address from our network: only https,
 * a host name (no IP literal, no port, no user info) and none of the names that reach the
 * service's own machine or LAN. (A public name resolving to a private address is not caught here.)
 */
function isPublicShopUrl(text: string): boolean {
  const url = new URL(text);
  const host = url.hostname.toLowerCase();
  if (url.username || url.password || url.port) return false;
  if (/^[0-9.]+$/.test(host) || host.startsWith('[')) return false;
  return host.includes('.') && !/(^|\.)(localhost|local|internal|localdomain|home\.arpa)$/.test(host);
}

/** The raw body as text: signatures are over these bytes, never a re-serialisation (P7). */
async function rawBody(c: Context<AppEnv>): Promise<{ raw: Uint8Array; text: string }> {
  const raw = new Uint8Array(await c.req.arrayBuffer());
  const text = decodeUtf8(raw);
  if (text === undefined) throw new AppError('invalid_json', 'the body must be valid UTF-8');
  return { raw, text };
}

function parseBody(text: string): unknown {
  try {
    return parsePlatformJson(text);
  } catch {
    throw new AppError('invalid_json', 'the body must be valid JSON');
  }
}

/** A platform payload we cannot map is refused (422) before anything is stored. */
async function mapped<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof MappingError) throw new AppError('validation_failed', error.message);
    throw error;
  }
}

function answer(c: Context<AppEnv>, outcome: ConnectorOutcome) {
  return 'pending' in outcome ? c.json(outcome, 202) : c.json(outcome, 200);
}

const putProgramsConnectorsByPlatformRoute = createRoute({
  method: 'put',
  path: '/v1/programs/{id}/connectors/{platform}',
  tags: ['connectors'],
  summary:
    "Set the secret the shop signs this program's webhooks with (Shopify's app or store webhook secret, or the one typed into WooCommerce)",
  description:
    'The previous secrets keep verifying for graceSeconds (default one day). For WooCommerce, restApi (a read-only REST API key) lets the connector fetch which lines a refund took back; null removes it.',
  security: bearer,
  request: {
    params: z.object({
      id: pathId('id'),
      platform: z.enum(CONNECTOR_PLATFORMS).openapi({ param: { name: 'platform', in: 'path' } }),
    }),
    body: jsonBody(
      z
        .object({
          secret: z.string().min(8).max(256),
          graceSeconds: z.number().int().min(0).max(MAX_CONNECTOR_GRACE_SECONDS).default(86_400),
          restApi: z
            .object({
              baseUrl: z
                .url({ protocol: /^https$/ })
                .max(300)
                .refine(isPublicShopUrl, 'must be the https address of the shop by its public host name')
                .openapi({ example: 'https://shop.example' }),
              consumerKey: z.string().min(1).max(200),
              consumerSecret: z.string().min(1).max(200),
            })
            .strict()
            .nullish(),
        })
        .strict(),
    ),
  },
  responses: {
    200: json(
      z.object({
        platform: z.enum(CONNECTOR_PLATFORMS),
        webhookPath: z.string(),
        previousSecretsExpireAt: z.string(),
        restApi: z.object({ baseUrl: z.string() }).nullable().optional(),
      }),
      'Saved',
    ),
    ...errorResponses(...authErrors, ...bodyErrors, 'not_found'),
  },
});

/** What either shop's webhook may answer besides its 200 and 202. */
const webhookErrors = errorResponses(
  'bad_request',
  'invalid_json',
  'invalid_signature',
  'not_found',
  'conflict',
  'payload_too_large',
  'validation_failed',
);

const shopifyWebhookRoute: RouteConfig = {
  method: 'post',
  path: '/v1/connectors/shopify/{programId}',
  tags: ['connectors'],
  security: [],
  summary:
    'Shopify order webhooks as Shopify sends them: orders/create, orders/paid, orders/updated, orders/cancelled, refunds/create',
  description:
    'Verified with X-Shopify-Hmac-Sha256 (base64 HMAC-SHA256 of the raw body) under any active Shopify secret of the program; deduplicated by X-Shopify-Event-Id ' +
    '(else X-Shopify-Webhook-Id) and by content. The order is mapped to the canonical order event and stored through the same intake as POST /v1/orders. ' +
    'A refund whose order has not arrived yet is kept and answers 202; other topics answer 200 with ignored: true.',
  request: {
    params: WebhookProgramParam,
    headers: z.object({
      'x-shopify-hmac-sha256': z.string(),
      'x-shopify-topic': z.string(),
      'x-shopify-webhook-id': z.string(),
      'x-shopify-event-id': z.string().optional(),
    }),
    body: {
      required: true,
      content: { 'application/json': { schema: z.record(z.string(), z.unknown()).openapi('ShopifyOrderOrRefund') } },
    },
  },
  responses: {
    200: json(z.union([ConnectorResult, ConnectorIgnored]), 'Stored (or already stored), or a topic the connector does not use'),
    202: json(ConnectorPending, 'A refund kept until its order arrives'),
    ...webhookErrors,
  },
};

const wooCommerceWebhookRoute: RouteConfig = {
  method: 'post',
  path: '/v1/connectors/woocommerce/{programId}',
  tags: ['connectors'],
  security: [],
  summary: 'WooCommerce order webhooks as WooCommerce sends them: order.created, order.updated, order.deleted',
  description:
    'Verified with X-WC-Webhook-Signature (base64 HMAC-SHA256 of the raw body) under any active WooCommerce secret of the program; deduplicated by ' +
    'X-WC-Webhook-Delivery-ID and by content. The unsigned ping WooCommerce sends when the webhook is saved (body webhook_id=…) answers 200 and stores nothing. ' +
    'Refunds named in the order are reduced in proportion to their amount net of tax, or, with REST API credentials set, by the lines the shop says they took back; the receipt says which.',
  request: {
    params: WebhookProgramParam,
    headers: z.object({
      'x-wc-webhook-signature': z.string(),
      'x-wc-webhook-topic': z.string(),
      'x-wc-webhook-delivery-id': z.string(),
    }),
    body: {
      required: true,
      content: { 'application/json': { schema: z.record(z.string(), z.unknown()).openapi('WooCommerceOrder') } },
    },
  },
  responses: {
    200: json(
      z.union([ConnectorResult, ConnectorIgnored, z.object({ pong: z.literal(true) })]),
      'Stored (or already stored), a ping, or a topic the connector does not use',
    ),
    202: json(ConnectorPending, 'A deletion kept until its order arrives'),
    ...webhookErrors,
  },
};

export function registerConnectorRoutes(
  app: OpenAPIHono<AppEnv>,
  deps: AppDeps & { onTrackingChange: () => void },
  authorize: Authorize,
  signClickId: ClickIdSigner,
  programs: IntakePrograms,
) {
  const intakeDeps = { ...deps, signClickId };

  /** The program named in the path and its active secrets for `platform`, after verifying the signature. */
  async function verified(c: Context<AppEnv>, platform: ConnectorPlatform, header: string | undefined, raw: Uint8Array) {
    const now = deps.clock.now();
    const intake = await programs.get(c.req.param('programId'), now.getTime());
    if (!intake) throw notFound('program');
    const secrets = await activeConnectorSecrets(deps, intake.program.id, platform, now);
    if (secrets.length === 0) {
      deps.log.info('webhook signature rejected', { reason: 'no_secret_set', channel: platform, programId: intake.program.id });
      throw new AppError(
        'invalid_signature',
        `no ${platform} secret is set for this program (PUT /v1/programs/:id/connectors/${platform})`,
      );
    }
    const check = verifyPlatformSignature(header, raw, secrets, deps.crypto.hmacSha256);
    if (!check.ok) throw signatureRejected(deps.log, check.reason, { channel: platform, programId: intake.program.id });
    return intake;
  }

  app.openapi(guarded(putProgramsConnectorsByPlatformRoute, authorize('merchant')), async (c) => {
    const { id, platform } = c.req.valid('param');
    const body = c.req.valid('json');
    if (platform !== 'woocommerce' && body.restApi) throw new AppError('validation_failed', 'restApi: only for woocommerce');
    const saved = await setConnectorSettings(deps, c.get('principal'), parseId('program', id), platform, body);
    deps.onTrackingChange();
    return c.json(saved, 200);
  });

  app.openAPIRegistry.registerPath(shopifyWebhookRoute);

  app.post('/v1/connectors/shopify/:programId', async (c) => {
    const { raw, text } = await rawBody(c);
    const intake = await verified(c, 'shopify', c.req.header('x-shopify-hmac-sha256'), raw);
    const topic = c.req.header('x-shopify-topic') ?? '';
    // Shopify sends one event to every subscription of a topic: the event id (with the topic, in
    // case one change fires several topics) names the event, the webhook id one subscription's
    // delivery, kept across retries. Identical content under other ids is caught by its hash.
    const eventId = c.req.header('x-shopify-event-id');
    const webhookId = c.req.header('x-shopify-webhook-id');
    const deliveryId = eventId ? `shopify:event:${topic}:${eventId}` : webhookId ? `shopify:webhook:${webhookId}` : undefined;
    if (!deliveryId) throw new AppError('bad_request', 'X-Shopify-Webhook-Id is missing');
    if (deliveryId.length > 240) throw new AppError('bad_request', 'the webhook or event id is too long');
    const body = parseBody(text);
    const delivery = { program: intake.program, platform: 'shopify' as const, deliveryId, catalog: intake.catalog };
    if ((SHOPIFY_ORDER_TOPICS as readonly string[]).includes(topic)) {
      // Orders placed with Shopify's test gateway are no sales: nothing to attribute or pay.
      if ((body as { test?: unknown } | null)?.test === true)
        return c.json({ ignored: true as const, reason: 'a test order (test: true)' }, 200);
      return answer(c, await mapped(() => recordConnectorOrder(intakeDeps, delivery, mapShopifyOrder(body))));
    }
    if (topic === SHOPIFY_REFUND_TOPIC) {
      return answer(
        c,
        await mapped(() => {
          const { orderId, refund } = mapShopifyRefund(body);
          return recordConnectorRefund(intakeDeps, delivery, orderId, refund);
        }),
      );
    }
    return c.json({ ignored: true, reason: `topic ${topic || '(none)'} is not one the connector uses` }, 200);
  });

  app.openAPIRegistry.registerPath(wooCommerceWebhookRoute);

  app.post('/v1/connectors/woocommerce/:programId', async (c) => {
    const { raw, text } = await rawBody(c);
    const signature = c.req.header('x-wc-webhook-signature');
    // WooCommerce pings a new webhook's URL once, unsigned, and keeps the webhook only on a 200.
    if (!signature && /^webhook_id=[0-9]+$/.test(text.trim())) {
      if (!(await programs.get(c.req.param('programId'), deps.clock.now().getTime()))) throw notFound('program');
      return c.json({ pong: true as const }, 200);
    }
    const intake = await verified(c, 'woocommerce', signature, raw);
    const topic = c.req.header('x-wc-webhook-topic') ?? '';
    const body = parseBody(text);
    // The delivery id is new for every delivery; a re-sent event is caught by its content.
    const webhook = c.req.header('x-wc-webhook-id') ?? '0';
    const delivery = c.req.header('x-wc-webhook-delivery-id') ?? `content:${deps.crypto.sha256Hex(text)}`;
    const deliveryId = `woocommerce:${webhook}:${delivery}`;
    if (deliveryId.length > 256) throw new AppError('bad_request', 'the webhook delivery id is too long');
    const d = { program: intake.program, platform: 'woocommerce' as const, deliveryId, catalog: intake.catalog };
    if ((WOO_ORDER_TOPICS as readonly string[]).includes(topic)) {
      return answer(
        c,
        await mapped(async () => {
          const order = mapWooOrder(body);
          return recordConnectorOrder(intakeDeps, d, order, await wooRefundDetail(deps, intake.program.id, order));
        }),
      );
    }
    if (topic === WOO_DELETE_TOPIC) {
      const deletedAt = deps.clock.now().toISOString();
      return answer(c, await mapped(() => recordConnectorDeletion(intakeDeps, d, mapWooDeletion(body), deletedAt)));
    }
    return c.json({ ignored: true as const, reason: `topic ${topic || '(none)'} is not one the connector uses` }, 200);
  });
}
