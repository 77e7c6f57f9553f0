import type { Selectable } from 'kysely';
import {
  type ConnectorOrder,
  type ConnectorPlatform,
  type ConnectorReceipt,
  type ConnectorRefund,
  toCanonicalEvent,
} from '../domain/connectors/connector-order';
import type { ClickIdSigner } from '../domain/click-id';
import type { ProgramTable } from '../store/database';
import type { AppDeps } from '../core/deps';
import { type OrderIntakeResult, recordOrderEvent } from './record-order-event';
import { serializeEvent } from '../domain/order';

type ConnectorDeps = Pick<AppDeps, 'db' | 'orderIntake' | 'crypto' | 'clock'> & { signClickId: ClickIdSigner };

export interface ConnectorDelivery {
  program: Selectable<ProgramTable>;
  platform: ConnectorPlatform;
  /** The platform's delivery or event id, prefixed with the platform. */
  deliveryId: string;
  catalog?: ReadonlyMap<string, string> | undefined;
}

export type ConnectorOutcome =
  (OrderIntakeResult & { connector: ConnectorReceipt }) | { id: string; pending: true; reason: string };

/** The program's id and platform as a row key. */
function key(d: ConnectorDelivery) {
  return { program_id: d.program.id, platform: d.platform };
}

/**
 * Everything the connector knows about one shop order, made into the canonical event and stored
 * through the canonical intake (same attribution, dedup and state derivation as /v1/orders).
 * Called after each piece (a document, a refund, a deletion) is saved, so whichever piece comes
 * last produces the event with all of them: arrival order does not matter (P8).
 */
async function recordKnown(
  deps: ConnectorDeps,
  d: ConnectorDelivery,
  externalId: string,
  delivered?: ConnectorOrder,
  extraNotes: string[] = [],
): Promise<ConnectorOutcome> {
  const row = await deps.db
    .selectFrom('connector_orders')
    .select(['document', 'deleted_at'])
    .where('program_id', '=', d.program.id)
    .where('platform', '=', d.platform)
    .where('external_id', '=', externalId)
    .executeTakeFirst();
  if (!row?.document) {
    return {
      id: externalId,
      pending: true,
      reason: 'kept until the order itself arrives: nothing is attributed or paid before that',
    };
  }
  const refunds = await deps.db
    .selectFrom('connector_refunds')
    .select('refund')
    .where('program_id', '=', d.program.id)
    .where('platform', '=', d.platform)
    .where('external_id', '=', externalId)
    .execute();
  const order = JSON.parse(row.document) as ConnectorOrder;
  const reported = refunds.map((r) => JSON.parse(r.refund) as ConnectorRefund);
  const { events, receipt } = toCanonicalEvent(d.platform, order, reported, row.deleted_at);
  // An older document than the one kept still tells when its status was reached (a paid
  // document arriving after the fulfilled one): its milestone goes in too.
  if (delivered && delivered.updatedAt < order.updatedAt) {
    events.unshift(toCanonicalEvent(d.platform, delivered, reported, row.deleted_at).events[0]!);
  }
  // Each event under its own delivery id: a retry of this delivery repeats both and adds nothing.
  let result: OrderIntakeResult | undefined;
  let duplicate = true;
  for (const [i, event] of events.entries()) {
    const { eventJson, orderJson } = serializeEvent(event);
    result = await recordOrderEvent(deps, {
      merchantId: d.program.merchant_id,
      program: d.program,
      channel: 'webhook',
      deliveryId: i === 0 ? d.deliveryId : `${d.deliveryId}:${i}`,
      event,
      orderJson,
      contentHash: deps.crypto.sha256Hex(eventJson),
      catalog: d.catalog,
    });
    duplicate &&= result.duplicate;
  }
  const connector = { ...receipt, notes: [...receipt.notes, ...extraNotes] };
  // Kept for GET /v1/orders/:id: the merchant reads how the shop's order was taken, not the shop.
  await deps.db
    .updateTable('connector_orders')
    .set({ receipt: JSON.stringify(connector) })
    .where('program_id', '=', d.program.id)
    .where('platform', '=', d.platform)
    .where('external_id', '=', externalId)
    .execute();
  return { ...result!, duplicate, connector };
}

/** A new (or older, or repeated) order document: the newest one by the shop's own time is kept. */
export async function recordConnectorOrder(
  deps: ConnectorDeps,
  d: ConnectorDelivery,
  order: ConnectorOrder,
  detail: { refunds: ConnectorRefund[]; note?: string | undefined } = { refunds: [] },
): Promise<ConnectorOutcome> {
  await saveRefunds(deps, d, order.id, detail.refunds);
  await deps.db
    .insertInto('connector_orders')
    .values({ ...key(d), external_id: order.id, document: JSON.stringify(order), document_at: order.updatedAt, deleted_at: null })
    .onConflict((oc) =>
      oc
        .columns(['program_id', 'platform', 'external_id'])
        .doUpdateSet((eb) => ({
          document: eb.ref('excluded.document'),
          document_at: eb.ref('excluded.document_at'),
        }))
        .where((eb) =>
          eb.or([
            eb('connector_orders.document_at', 'is', null),
            eb('connector_orders.document_at', '<', eb.ref('excluded.document_at')),
            // Same time, different content (two updates within a second): the larger text wins, so
            // every replica of this decision picks the same document.
            eb.and([
              eb('connector_orders.document_at', '=', eb.ref('excluded.document_at')),
              eb('connector_orders.document', '<', eb.ref('excluded.document')),
            ]),
          ]),
        ),
    )
    .execute();
  return recordKnown(deps, d, order.id, order, detail.note ? [detail.note] : []);
}

async function saveRefunds(deps: ConnectorDeps, d: ConnectorDelivery, orderId: string, refunds: readonly ConnectorRefund[]) {
  for (const refund of refunds) {
    await deps.db
      .insertInto('connector_refunds')
      .values({
        ...key(d),
        refund_id: refund.id,
        external_id: orderId,
        refund: JSON.stringify(refund),
        created_at: refund.createdAt,
      })
      .onConflict((oc) => oc.columns(['program_id', 'platform', 'refund_id']).doNothing())
      .execute();
  }
}

/** A refund reported on its own; kept even when its order has not arrived yet. */
export async function recordConnectorRefund(
  deps: ConnectorDeps,
  d: ConnectorDelivery,
  orderId: string,
  refund: ConnectorRefund,
): Promise<ConnectorOutcome> {
  await saveRefunds(deps, d, orderId, [refund]);
  return recordKnown(deps, d, orderId);
}

/** The shop deleted the order: it is cancelled, also when the deletion arrives first. */
export async function recordConnectorDeletion(
  deps: ConnectorDeps,
  d: ConnectorDelivery,
  orderId: string,
  deletedAt: string,
): Promise<ConnectorOutcome> {
  await deps.db
    .insertInto('connector_orders')
    .values({ ...key(d), external_id: orderId, document: null, document_at: null, deleted_at: deletedAt })
    .onConflict((oc) =>
      oc
        .columns(['program_id', 'platform', 'external_id'])
        .doUpdateSet({ deleted_at: deletedAt })
        .where((eb) => eb.or([eb('connector_orders.deleted_at', 'is', null), eb('connector_orders.deleted_at', '>', deletedAt)])),
    )
    .execute();
  return recordKnown(deps, d, orderId);
}
