import type { Kysely, Selectable } from 'kysely';
import { type AffiliateFacts, attribute, type AttributionReceipt, type AttributionSource, type FraudChecks } from '../../domain/attribution';
import { type ClickIdSigner, verifyClickId } from '../../domain/click-id';
import { formatId } from '../../domain/ids';
import { deriveOrderState, type OrderEventFacts, type OrderSnapshot } from '../../domain/order';
import type { Database, ProgramTable } from '../../store/database';
import type { AppDeps } from '../deps';
import { AppError } from '../errors';
import type { NormalizedOrderEvent } from '../schemas/order-event';

export interface OrderDelivery {
  merchantId: number;
  program: Selectable<ProgramTable>;
  channel: 'webhook' | 'postback';
  /** webhook-id, or for postbacks an id derived from the content. */
  deliveryId: string;
  event: NormalizedOrderEvent;
  contentHash: string;
}

export interface OrderIntakeResult {
  id: string;
  programId: string;
  status: string;
  attribution: { affiliateId: string | null; method: string; reason: string; held: boolean };
  duplicate: boolean;
}

type IntakeDeps = Pick<AppDeps, 'db' | 'clock' | 'crypto'> & { signClickId: ClickIdSigner };

export function normalizeCoupon(code: string): string {
  return code.trim().toUpperCase();
}

/** The receipt as the API shows it: public ids instead of row numbers. */
function publicReceipt(receipt: AttributionReceipt) {
  return {
    ...receipt,
    candidates: receipt.candidates.map((c) => ({
      ...c,
      affiliateId: c.affiliateId === null ? null : formatId('affiliate', c.affiliateId),
      ...(c.linkId !== undefined ? { linkId: formatId('link', c.linkId) } : {}),
    })),
  };
}

async function decideAttribution(trx: Kysely<Database>, deps: IntakeDeps, delivery: OrderDelivery, placedAtMs: number) {
  const { program, event } = delivery;
  const order = event.order;
  let click: Parameters<typeof attribute>[0]['click'];
  if (order.clickId) {
    const verification = verifyClickId(order.clickId, deps.signClickId);
    const row = verification.ok
      ? await trx.selectFrom('clicks').select('paid_search_param').where('click_id', '=', order.clickId).executeTakeFirst()
      : undefined;
    click = { clickId: order.clickId, verification, row: row ? { paidSearchParam: row.paid_search_param } : undefined };
  }
  let coupon: Parameters<typeof attribute>[0]['coupon'];
  if (order.coupon) {
    const code = normalizeCoupon(order.coupon);
    const row = await trx
      .selectFrom('coupons')
      .select('affiliate_id')
      .where('program_id', '=', program.id)
      .where('code', '=', code)
      .executeTakeFirst();
    coupon = { code, affiliateId: row?.affiliate_id ?? null };
  }
  const candidates = new Set<number>();
  if (click?.verification.ok) candidates.add(click.verification.click.affiliateId);
  if (coupon?.affiliateId) candidates.add(coupon.affiliateId);
  const affiliates = new Map<number, AffiliateFacts>();
  for (const affiliateId of candidates) {
    const member = await trx
      .selectFrom('program_affiliates')
      .select('status')
      .where('program_id', '=', program.id)
      .where('affiliate_id', '=', affiliateId)
      .executeTakeFirst();
    const customer = order.customerId
      ? await trx
          .selectFrom('affiliate_customer_refs')
          .select('affiliate_id')
          .where('merchant_id', '=', delivery.merchantId)
          .where('customer_ref', '=', order.customerId)
          .where('affiliate_id', '=', affiliateId)
          .executeTakeFirst()
      : undefined;
    affiliates.set(affiliateId, { membership: member?.status ?? null, isCustomer: customer !== undefined });
  }
  return attribute({
    programId: program.id,
    cookieDays: program.cookie_days,
    sources: JSON.parse(program.attribution_order) as AttributionSource[],
    fraudChecks: JSON.parse(program.fraud_checks) as FraudChecks,
    placedAtMs,
    ...(click ? { click } : {}),
    ...(coupon ? { coupon } : {}),
    affiliates,
  });
}

function eventFacts(row: { type: OrderEventFacts['type']; occurred_at: string; content_hash: string; payload: string }): OrderEventFacts {
  return { type: row.type, occurredAt: row.occurred_at, contentHash: row.content_hash, order: JSON.parse(row.payload) as OrderSnapshot };
}

/**
 * Stores one order event and brings the order up to date, all in one transaction whose unique
 * constraints, not a cache, make replays harmless: the same delivery id (P4), the same content
 * under a new id, or any number of concurrent copies (P5) leave exactly one order. Attribution
 * is decided when the order is first seen and never again; the state is re-derived from every
 * stored event, so arrival order does not matter (P8).
 */
export async function recordOrderEvent(deps: IntakeDeps, delivery: OrderDelivery): Promise<OrderIntakeResult> {
  const now = deps.clock.now().toISOString();
  const { event } = delivery;
  return deps.db.transaction().execute(async (trx) => {
    const replay = await trx
      .selectFrom('order_events')
      .innerJoin('orders', 'orders.id', 'order_events.order_id')
      .select('orders.id')
      .where('order_events.merchant_id', '=', delivery.merchantId)
      .where('order_events.delivery_id', '=', delivery.deliveryId)
      .executeTakeFirst();
    if (replay) return summarize(trx, replay.id, true);

    let order = await trx
      .selectFrom('orders')
      .selectAll()
      .where('merchant_id', '=', delivery.merchantId)
      .where('external_id', '=', event.order.id)
      .executeTakeFirst();
    if (order && order.program_id !== delivery.program.id) {
      throw new AppError('conflict', `order ${event.order.id} belongs to program ${formatId('program', order.program_id)}`);
    }
    if (order && order.currency !== event.order.currency) {
      throw new AppError('conflict', `order ${event.order.id} is in ${order.currency}, not ${event.order.currency}`);
    }
    if (!order) {
      const placedAt = event.order.placedAt ?? event.occurredAt;
      const decision = await decideAttribution(trx, deps, delivery, Date.parse(placedAt));
      order = await trx
        .insertInto('orders')
        .values({
          merchant_id: delivery.merchantId,
          program_id: delivery.program.id,
          external_id: event.order.id,
          currency: event.order.currency,
          placed_at: placedAt,
          attribution_method: decision.method,
          attribution_reason: decision.reason,
          affiliate_id: decision.affiliateId,
          link_id: decision.linkId,
          click_id: decision.clickId,
          coupon_code: decision.couponCode,
          held: decision.held ? 1 : 0,
          receipt: JSON.stringify(publicReceipt(decision.receipt)),
          // Placeholder state, replaced below from the events.
          status: 'created',
          snapshot: '{}',
          snapshot_at: event.occurredAt,
          revenue_minor: 0,
          refunded_minor: 0,
          customer_id: event.order.customerId ?? null,
          new_customer: event.order.newCustomer === undefined ? null : event.order.newCustomer ? 1 : 0,
          created_at: now,
          updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    }

    const inserted = await trx
      .insertInto('order_events')
      .values({
        order_id: order.id,
        merchant_id: delivery.merchantId,
        delivery_id: delivery.deliveryId,
        channel: delivery.channel,
        type: event.type,
        occurred_at: event.occurredAt,
        received_at: now,
        content_hash: delivery.contentHash,
        payload: JSON.stringify(event.order),
      })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) return summarize(trx, order.id, true);

    const events = await trx
      .selectFrom('order_events')
      .select(['type', 'occurred_at', 'content_hash', 'payload'])
      .where('order_id', '=', order.id)
      .execute();
    const state = deriveOrderState(events.map(eventFacts));
    await trx
      .updateTable('orders')
      .set({
        status: state.status,
        paid_at: state.paidAt,
        completed_at: state.completedAt,
        refunded_at: state.refundedAt,
        cancelled_at: state.cancelledAt,
        snapshot: JSON.stringify(state.snapshot),
        snapshot_at: state.snapshotAt,
        revenue_minor: state.revenueMinor,
        refunded_minor: state.refundedMinor,
        updated_at: now,
      })
      .where('id', '=', order.id)
      .execute();
    return summarize(trx, order.id, false);
  });
}

async function summarize(trx: Kysely<Database>, orderId: number, duplicate: boolean): Promise<OrderIntakeResult> {
  const row = await trx
    .selectFrom('orders')
    .select(['external_id', 'program_id', 'status', 'affiliate_id', 'attribution_method', 'attribution_reason', 'held'])
    .where('id', '=', orderId)
    .executeTakeFirstOrThrow();
  return {
    id: row.external_id,
    programId: formatId('program', row.program_id),
    status: row.status,
    attribution: {
      affiliateId: row.affiliate_id === null ? null : formatId('affiliate', row.affiliate_id),
      method: row.attribution_method,
      reason: row.attribution_reason,
      held: row.held === 1,
    },
    duplicate,
  };
}
