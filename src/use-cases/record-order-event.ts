import {
  type AffiliateFacts,
  attribute,
  type AttributionReceipt,
  type AttributionSource,
  type FraudChecks,
} from '../domain/attribution';
import { checkOrderBounds } from '../domain/order-bounds';
import { type ClickIdSigner, verifyClickId } from '../domain/click-id';
import { formatId } from '../domain/ids';
import type { Selectable } from 'kysely';
import type { ProgramTable } from '../store/database';
import type { AttributionLookups, NewOrderAttribution } from '../store/order-intake-store';
import type { AppDeps } from '../core/deps';
import { AppError } from '../core/errors';
import type { NormalizedOrderEvent } from '../domain/order';

export interface OrderDelivery {
  merchantId: number;
  program: Selectable<ProgramTable>;
  channel: 'webhook' | 'postback';
  /** webhook-id, or for postbacks an id derived from the content. */
  deliveryId: string;
  event: NormalizedOrderEvent;
  /** `event.order` as JSON, when the caller already serialised it (for the content hash). */
  orderJson?: string;
  contentHash: string;
  /** The program's SKU → category catalogue, for lines the shop sent without a category. */
  catalog?: ReadonlyMap<string, string> | undefined;
}

export interface OrderIntakeResult {
  id: string;
  programId: string;
  status: string;
  attribution: { affiliateId: string | null; method: string; reason: string; held: boolean };
  duplicate: boolean;
  /** Lines the catalogue was asked about and did not know: they earn the plan's default rate. */
  catalog?: { unknownSkus: string[] };
}

type IntakeDeps = Pick<AppDeps, 'orderIntake' | 'clock'> & { signClickId: ClickIdSigner };

export function normalizeCoupon(code: string): string {
  return code.trim().toUpperCase();
}

/**
 * Lines without a category of their own take the catalogue's; a line whose SKU is not in it is
 * marked, so its receipt and its ledger explanation say why it earns the default rate. A program
 * without a catalogue changes nothing.
 */
function withCatalog(event: NormalizedOrderEvent, catalog: ReadonlyMap<string, string> | undefined) {
  const unknownSkus: string[] = [];
  if (!catalog || catalog.size === 0) return { event, unknownSkus, changed: false };
  const lines = event.order.lines.map((line) => {
    if (line.category !== undefined) return line;
    const category = catalog.get(line.sku);
    if (category === undefined) {
      if (!unknownSkus.includes(line.sku)) unknownSkus.push(line.sku);
      return { ...line, catalog: 'unknown_sku' as const };
    }
    return { ...line, category, catalog: 'matched' as const };
  });
  const changed = lines.some((line, i) => line !== event.order.lines[i]);
  return { event: changed ? { ...event, order: { ...event.order, lines } } : event, unknownSkus, changed };
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

// A program row is read once and shared by every event for a few seconds (IntakePrograms): its
// JSON settings are parsed once per row, not once per order.
const programSettings = new WeakMap<Selectable<ProgramTable>, { sources: AttributionSource[]; fraudChecks: FraudChecks }>();
function settingsOf(program: Selectable<ProgramTable>) {
  let settings = programSettings.get(program);
  if (!settings) {
    settings = {
      sources: JSON.parse(program.attribution_order) as AttributionSource[],
      fraudChecks: JSON.parse(program.fraud_checks) as FraudChecks,
    };
    programSettings.set(program, settings);
  }
  return settings;
}

/** Attribution of a new order from the facts the store reads inside its transaction. */
function attributeNewOrder(delivery: OrderDelivery, signClickId: ClickIdSigner) {
  const { program, event } = delivery;
  const order = event.order;
  // Verifying the click id needs no database: it is signed and self-describing (P2).
  const verification = order.clickId ? verifyClickId(order.clickId, signClickId) : undefined;
  return (lookups: AttributionLookups): NewOrderAttribution => {
    const click =
      order.clickId && verification
        ? {
            clickId: order.clickId,
            verification,
            row: verification.ok ? lookups.clickRow(order.clickId) : undefined,
          }
        : undefined;
    const coupon = order.coupon
      ? { code: normalizeCoupon(order.coupon), affiliateId: lookups.couponOwner(program.id, normalizeCoupon(order.coupon)) }
      : undefined;
    const affiliates = new Map<number, AffiliateFacts>();
    for (const affiliateId of [
      click?.verification.ok ? click.verification.click.affiliateId : null,
      coupon?.affiliateId ?? null,
    ]) {
      if (affiliateId === null || affiliates.has(affiliateId)) continue;
      affiliates.set(affiliateId, {
        membership: lookups.membership(program.id, affiliateId),
        isCustomer: order.customerId ? lookups.isCustomer(delivery.merchantId, affiliateId, order.customerId) : false,
      });
    }
    const { sources, fraudChecks } = settingsOf(program);
    const decision = attribute({
      programId: program.id,
      cookieDays: program.cookie_days,
      sources,
      fraudChecks,
      placedAtMs: Date.parse(order.placedAt ?? event.occurredAt),
      ...(click ? { click } : {}),
      ...(coupon ? { coupon } : {}),
      affiliates,
    });
    return { ...decision, receipt: publicReceipt(decision.receipt) };
  };
}

/**
 * Stores one order event. Replays are harmless by construction (unique delivery ids and content
 * hashes in the store's transaction, P4/P5); attribution happens once, when the order is first
 * seen; the state is re-derived from every event, so arrival order does not matter (P8).
 */
export async function recordOrderEvent(deps: IntakeDeps, delivery: OrderDelivery): Promise<OrderIntakeResult> {
  const bounds = checkOrderBounds(delivery.event, deps.clock.now().getTime());
  if (!bounds.ok) throw new AppError('validation_failed', bounds.message);
  // The content hash is taken before the catalogue fills categories in: a replay is recognised
  // whatever the catalogue says by then.
  const { event, unknownSkus, changed } = withCatalog(delivery.event, delivery.catalog);
  const outcome = await deps.orderIntake.record(
    {
      merchantId: delivery.merchantId,
      programId: delivery.program.id,
      channel: delivery.channel,
      deliveryId: delivery.deliveryId,
      type: event.type,
      occurredAt: event.occurredAt,
      order: event.order,
      // A catalogue that filled categories in made another order: the store serialises that one.
      ...(!changed && delivery.orderJson !== undefined ? { payload: delivery.orderJson } : {}),
      contentHash: delivery.contentHash,
    },
    attributeNewOrder(delivery, deps.signClickId),
  );
  if (outcome.kind === 'conflict') throw new AppError('conflict', outcome.message);
  const o = outcome.order;
  return {
    id: o.externalId,
    programId: formatId('program', o.programId),
    status: o.status,
    attribution: {
      affiliateId: o.affiliateId === null ? null : formatId('affiliate', o.affiliateId),
      method: o.method,
      reason: o.reason,
      held: o.held,
    },
    duplicate: outcome.kind === 'duplicate',
    ...(unknownSkus.length > 0 ? { catalog: { unknownSkus } } : {}),
  };
}
