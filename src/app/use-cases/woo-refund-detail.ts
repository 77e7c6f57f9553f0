import type { ConnectorOrder, ConnectorRefund } from '../../domain/connectors/connector-order';
import { mapWooRestRefunds } from '../../domain/connectors/woocommerce';
import type { AppDeps } from '../deps';
import { restCredentials } from './connector-settings';

const TIMEOUT_MS = 5_000;

/**
 * The line detail of an order's refunds from the shop's REST API, when the merchant gave the
 * connector credentials and the order names refunds not yet known in detail. A failed lookup
 * is not a failed delivery: the refunds fall back to the proportional reduction and the order's
 * receipt says why; the next delivery of the order tries again.
 */
export async function wooRefundDetail(
  deps: Pick<AppDeps, 'db' | 'fetch'>,
  programId: number,
  order: ConnectorOrder,
): Promise<{ refunds: ConnectorRefund[]; note?: string }> {
  if (order.refunds.length === 0) return { refunds: [] };
  const known = await deps.db
    .selectFrom('connector_refunds')
    .select('refund_id')
    .where('program_id', '=', programId)
    .where('platform', '=', 'woocommerce')
    .where('external_id', '=', order.id)
    .execute();
  const knownIds = new Set(known.map((r) => r.refund_id));
  if (order.refunds.every((r) => knownIds.has(r.id))) return { refunds: [] };
  const credentials = await restCredentials(deps, programId);
  if (!credentials) return { refunds: [] };
  const url = `${credentials.baseUrl}/wp-json/wc/v3/orders/${encodeURIComponent(order.id)}/refunds?per_page=100`;
  const auth = btoa(`${credentials.consumerKey}:${credentials.consumerSecret}`);
  try {
    const response = await (deps.fetch ?? fetch)(url, {
      headers: { authorization: `Basic ${auth}`, accept: 'application/json' },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (!response.ok)
      return { refunds: [], note: `REST refund lookup answered ${response.status}: refunds reduced in proportion instead` };
    return { refunds: mapWooRestRefunds(await response.json()) };
  } catch (error) {
    return {
      refunds: [],
      note: `REST refund lookup failed (${error instanceof Error ? error.message : String(error)}): refunds reduced in proportion instead`,
    };
  }
}
