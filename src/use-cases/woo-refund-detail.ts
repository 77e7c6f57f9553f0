import type { ConnectorOrder, ConnectorRefund } from '../domain/connectors/connector-order';
import { mapWooRestRefunds } from '../domain/connectors/woocommerce';
import type { AppDeps } from '../core/deps';
import { restCredentials } from './connector-settings';

const TIMEOUT_MS = 5_000;
const MAX_BYTES = 1024 * 1024;

/** The body as text, refusing more than MAX_BYTES: the shop's answer is not trusted to be small. */
async function cappedText(response: Response): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BYTES) {
      await reader.cancel();
      throw new Error(`the answer is larger than ${MAX_BYTES} bytes`);
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.byteLength;
  }
  return new TextDecoder().decode(all);
}

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
    // No redirects: the credentials go to the host the merchant named and nowhere else.
    const response = await (deps.fetch ?? fetch)(url, {
      headers: { authorization: `Basic ${auth}`, accept: 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (response.status !== 200)
      return { refunds: [], note: `REST refund lookup answered ${response.status}: refunds reduced in proportion instead` };
    return { refunds: mapWooRestRefunds(JSON.parse(await cappedText(response))) };
  } catch (error) {
    return {
      refunds: [],
      note: `REST refund lookup failed (${error instanceof Error ? error.message : String(error)}): refunds reduced in proportion instead`,
    };
  }
}
