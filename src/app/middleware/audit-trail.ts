import { createMiddleware } from 'hono/factory';
import type { AppDeps } from '../../core/deps';
import type { Principal } from '../../core/principal';
import type { AppEnv } from '../env';
import { recordAudit } from '../../use-cases/audit-log';

/**
 * What each mutating route does, for the audit log: `${METHOD} ${route path}` → action and the
 * type of the object its path (or, for a create, its answer's `id`) names. A route missing here is
 * still audited, under its method and path. Order intake (`POST /v1/orders`, the shop connectors,
 * postbacks) is not: it is the shops' data, kept in order_events, not a person's change.
 */
const ACTIONS: Record<string, readonly [action: string, objectType: string]> = {
  'POST /v1/merchants': ['merchant.create', 'merchant'],
  'POST /v1/affiliates': ['affiliate.create', 'affiliate'],
  'POST /v1/finance-keys': ['key.create', 'key'],
  'POST /v1/keys/:id/revoke': ['key.revoke', 'key'],
  'POST /v1/keys/:id/rotate': ['key.rotate', 'key'],
  'POST /v1/admin/batch': ['batch.run', 'batch'],
  'PATCH /v1/affiliates/me': ['affiliate.update', 'affiliate'],
  'PUT /v1/affiliates/me/postback': ['affiliate.postback_set', 'affiliate'],
  'POST /v1/programs': ['program.create', 'program'],
  'PATCH /v1/programs/:id': ['program.update', 'program'],
  'POST /v1/programs/:id/affiliates': ['program.affiliate_set', 'program'],
  'POST /v1/programs/:id/affiliates/:affiliateId/suspend': ['program.affiliate_suspend', 'affiliate'],
  'PUT /v1/programs/:id/affiliates/:affiliateId/rate': ['program.rate_set', 'affiliate'],
  'PUT /v1/programs/:id/catalog': ['program.catalog_replace', 'program'],
  'PUT /v1/programs/:id/connectors/:platform': ['program.connector_set', 'program'],
  'POST /v1/links': ['link.create', 'link'],
  'PATCH /v1/links/:code': ['link.update', 'link'],
  'POST /v1/coupons': ['coupon.create', 'coupon'],
  'POST /v1/customer-refs': ['customer_ref.create', 'customer_ref'],
  'POST /v1/fx-rates': ['fx_rate.create', 'fx_rate'],
  'POST /v1/webhook-secrets/rotate': ['webhook_secret.rotate', 'merchant'],
  'POST /v1/postback-tokens': ['postback_token.create', 'postback_token'],
  'POST /v1/postback-tokens/:id/revoke': ['postback_token.revoke', 'postback_token'],
  'POST /v1/postback-tokens/:id/rotate': ['postback_token.rotate', 'postback_token'],
  'POST /v1/orders/:id/release': ['order.release', 'order'],
  'POST /v1/orders/:id/reject': ['order.reject', 'order'],
  'POST /v1/payouts': ['payout.create', 'payout'],
  'POST /v1/payouts/:id/paid': ['payout.paid', 'payout'],
  'POST /v1/payouts/:id/failed': ['payout.failed', 'payout'],
  'POST /v1/payouts/:id/cancel': ['payout.cancel', 'payout'],
  'POST /v1/webhook-endpoints': ['webhook_endpoint.create', 'webhook_endpoint'],
  'DELETE /v1/webhook-endpoints/:id': ['webhook_endpoint.delete', 'webhook_endpoint'],
  'POST /v1/webhook-deliveries/:id/replay': ['webhook_delivery.replay', 'webhook_delivery'],
};

/** Routes that change nothing although they are POSTs, and data intake (see above). */
const NOT_AUDITED = new Set(['POST /v1/programs/:id/plan/simulate', 'POST /v1/orders']);

/** Fields of an answer worth keeping: never the whole answer, which may carry a new secret. */
const ANSWER_FIELDS = ['id', 'keyId', 'status'] as const;

/**
 * Writes one audit row for every successful mutating call made with an API key, the dashboards'
 * in-process calls included. Once, here, rather than in each route. The row is written after the
 * change committed, not inside its unit of work: the change is built by use-cases that know
 * nothing of HTTP, and D1 has no transaction to share across them. A use-case that can put the
 * row in its own unit of work (manual adjustments) does so and sets `audited`.
 */
export function auditTrail(deps: Pick<AppDeps, 'db' | 'clock' | 'clientIp' | 'log'>) {
  return createMiddleware<AppEnv>(async (c, next) => {
    await next();
    const principal = c.get('principal') as Principal | undefined;
    if (!principal || c.res.status >= 400 || c.get('audited')) return;
    const route = c.req.matchedRoutes.filter((r) => r.method !== 'ALL').at(-1)?.path;
    if (route === undefined) return;
    const name = `${c.req.method} ${route}`;
    if (NOT_AUDITED.has(name)) return;
    const [action, objectType] = ACTIONS[name] ?? [name, 'unknown'];
    const params = c.req.param() as Record<string, string>;
    const answer = await answerFields(c.res);
    const objectId = params.affiliateId ?? params.id ?? params.code ?? (typeof answer.id === 'string' ? answer.id : null);
    let body: unknown;
    try {
      body = c.req.valid('json' as never);
    } catch {
      body = undefined;
    }
    const asked = isObject(body) ? body : {};
    // From the answer: a create's new id, a rotation's new key id, and the status an action
    // (paid, revoke…) left; not fields the request itself set or the route's path names.
    const told = Object.fromEntries(
      Object.entries(answer).filter(
        ([k, v]) => !(k in asked) && v !== objectId && (k !== 'status' || Object.keys(asked).length === 0),
      ),
    );
    const after = { ...asked, ...told };
    const known = c.get('auditBefore');
    const before = isObject(known)
      ? Object.fromEntries(
          Object.keys(after)
            .filter((k) => k in known)
            .map((k) => [k, known[k]]),
        )
      : undefined;
    try {
      await recordAudit(deps, {
        principal,
        origin: { clientAddress: deps.clientIp(c) },
        action,
        objectType,
        objectId,
        summary: before === undefined ? { after } : { before, after },
        at: deps.clock.now().toISOString(),
      });
    } catch (error) {
      // The change is made and answered; a lost audit row is an operator's alarm, not the caller's error.
      deps.log.error('audit row not written', { action, error: String(error) });
    }
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

async function answerFields(res: Response): Promise<Record<string, unknown>> {
  if (!(res.headers.get('content-type') ?? '').includes('application/json')) return {};
  try {
    const parsed: unknown = await res.clone().json();
    if (!isObject(parsed)) return {};
    return Object.fromEntries(ANSWER_FIELDS.filter((f) => typeof parsed[f] === 'string').map((f) => [f, parsed[f]]));
  } catch {
    return {};
  }
}
