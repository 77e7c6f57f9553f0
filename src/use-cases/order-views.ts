import type { Selectable } from 'kysely';
import { dayAfter, startOfDay } from '../domain/calendar';
import type { AttributionReceipt } from '../domain/attribution';
import type { ConnectorReceipt } from '../domain/connectors/connector-order';
import { formatId } from '../domain/ids';
import { affiliateOrderView, amount, ledgerEntryView, merchantOrderSummary } from '../domain/resource-views';
import { lineBase, lineBaseAfterRefunds, type OrderSnapshot } from '../domain/order';
import type { OrderTable } from '../store/database';
import type { LedgerStatus } from '../domain/ledger';
import { jsonList } from '../store/json-list';
import type { AppDeps } from '../core/deps';
import type { Principal } from '../core/principal';
import { notFound } from '../core/errors';

type OrderRow = Selectable<OrderTable>;

export async function getMerchantOrder(deps: Pick<AppDeps, 'db'>, principal: Principal, externalId: string) {
  const row = await deps.db
    .selectFrom('orders')
    .selectAll()
    .where('merchant_id', '=', principal.merchantId!)
    .where('external_id', '=', externalId)
    .executeTakeFirst();
  if (!row) throw notFound('order');
  const events = await deps.db
    .selectFrom('order_events')
    .select(['type', 'occurred_at', 'received_at', 'channel', 'delivery_id'])
    .where('order_id', '=', row.id)
    .orderBy('occurred_at')
    .orderBy('id')
    .execute();
  const ledger = await deps.db.selectFrom('ledger_entries').selectAll().where('order_id', '=', row.id).orderBy('id').execute();
  const connectorRow = await deps.db
    .selectFrom('connector_orders')
    .select('receipt')
    .where('program_id', '=', row.program_id)
    .where('external_id', '=', row.external_id)
    .where('receipt', 'is not', null)
    .executeTakeFirst();
  const snapshot = JSON.parse(row.snapshot) as OrderSnapshot;
  const c = row.currency;
  const waitingForRate = ledger.length === 0 ? await rateAwaited(deps, row) : null;
  return {
    id: row.external_id,
    programId: formatId('program', row.program_id),
    status: row.status,
    currency: c,
    placedAt: row.placed_at,
    paidAt: row.paid_at,
    completedAt: row.completed_at,
    refundedAt: row.refunded_at,
    cancelledAt: row.cancelled_at,
    revenue: amount(row.revenue_minor, c),
    refunded: amount(row.refunded_minor, c),
    shipping: amount(snapshot.shippingMinor, c),
    tax: amount(snapshot.taxMinor, c),
    nonCashAmount: amount(snapshot.nonCashMinor, c),
    customer: { id: row.customer_id, newCustomer: row.new_customer === null ? null : row.new_customer === 1 },
    items: snapshot.lines.map((l) => ({
      sku: l.sku,
      category: l.category ?? null,
      quantity: l.quantity,
      unitPrice: amount(l.unitPriceMinor, c),
      discount: amount(l.discountMinor, c),
      refundedQuantity: l.refundedQuantity,
      ...(l.refundedAmountMinor ? { refundedAmount: amount(l.refundedAmountMinor, c) } : {}),
      ...(l.catalog ? { catalog: l.catalog } : {}),
      base: amount(lineBase(l), c),
      baseAfterRefunds: amount(lineBaseAfterRefunds(l), c),
    })),
    attribution: {
      affiliateId: row.affiliate_id === null ? null : formatId('affiliate', row.affiliate_id),
      method: row.attribution_method,
      reason: row.attribution_reason,
      held: row.held === 1,
      clickId: row.click_id,
      linkId: row.link_id === null ? null : formatId('link', row.link_id),
      coupon: row.coupon_code,
      receipt: JSON.parse(row.receipt) as AttributionReceipt,
    },
    history: events.map((e) => ({
      type: e.type,
      occurredAt: e.occurred_at,
      receivedAt: e.received_at,
      channel: e.channel,
      deliveryId: e.delivery_id,
    })),
    review: row.review,
    // How a shop connector (Shopify, WooCommerce) took the order: click id source, refund method, notes.
    ...(connectorRow?.receipt ? { connector: JSON.parse(connectorRow.receipt) as ConnectorReceipt } : {}),
    commission:
      ledger.length === 0
        ? null
        : amount(
            ledger.filter((e) => e.affiliate_id === row.affiliate_id).reduce((sum, e) => sum + e.amount_minor, 0),
            ledger[0]!.currency,
          ),
    commissionCurrency: ledger[0]?.currency ?? null,
    // Why commission is null for an attributed order in another currency: no rate either way yet.
    waitingForRate,
    ledger: ledger.map(ledgerEntryView),
  };
}

/**
 * The pair an attributed order waits for: its currency differs from its program's, no rate is
 * pinned to it, and no rate in either direction was in force when it was placed. The batch
 * skips such an order until one is added (and names the pair in its log); null otherwise.
 */
async function rateAwaited(
  deps: Pick<AppDeps, 'db'>,
  row: Pick<OrderRow, 'affiliate_id' | 'fx_rate' | 'program_id' | 'currency' | 'placed_at'>,
): Promise<{ from: string; to: string } | null> {
  if (row.affiliate_id === null || row.fx_rate !== null) return null;
  const program = await deps.db.selectFrom('programs').select('currency').where('id', '=', row.program_id).executeTakeFirst();
  if (!program || program.currency === row.currency) return null;
  const rate = await deps.db
    .selectFrom('fx_rates')
    .select('rate')
    .where((eb) =>
      eb.or([
        eb.and([eb('base', '=', row.currency), eb('quote', '=', program.currency)]),
        eb.and([eb('base', '=', program.currency), eb('quote', '=', row.currency)]),
      ]),
    )
    .where('effective_at', '<=', row.placed_at)
    .executeTakeFirst();
  return rate ? null : { from: row.currency, to: program.currency };
}

export async function listOrders(
  deps: Pick<AppDeps, 'db'>,
  principal: Principal,
  filter: {
    limit: number;
    after?: number | undefined;
    programId?: number | undefined;
    affiliateId?: number | undefined;
    status?: string | undefined;
    held?: boolean | undefined;
    from?: string | undefined;
    to?: string | undefined;
  },
) {
  let query = deps.db.selectFrom('orders').selectAll().orderBy('id').limit(filter.limit);
  query =
    principal.role === 'merchant'
      ? query.where('merchant_id', '=', principal.merchantId!)
      : query.where('affiliate_id', '=', principal.affiliateId!);
  if (filter.after !== undefined) query = query.where('id', '>', filter.after);
  if (filter.programId !== undefined) query = query.where('program_id', '=', filter.programId);
  if (filter.affiliateId !== undefined) query = query.where('affiliate_id', '=', filter.affiliateId);
  if (filter.status !== undefined) query = query.where('status', '=', filter.status as OrderRow['status']);
  if (filter.held !== undefined) query = query.where('held', '=', filter.held ? 1 : 0);
  if (filter.from !== undefined) query = query.where('placed_at', '>=', startOfDay(filter.from));
  if (filter.to !== undefined) query = query.where('placed_at', '<', dayAfter(filter.to));
  const rows = await query.execute();
  const next = rows.length === filter.limit ? String(rows[rows.length - 1]!.id) : null;
  if (principal.role === 'merchant') return { orders: rows.map(merchantOrderSummary), next };
  const earned = await affiliateCommissions(deps, principal.affiliateId!, rows);
  return { orders: rows.map((r) => ({ ...affiliateOrderView(r), commission: earned.get(r.id) ?? null })), next };
}

/**
 * What the affiliate earns on each order of a page, from its own ledger entries only (a
 * recruiter's share on the same order is the recruiter's): estimated (pending and held) and
 * settled (approved and paid), as the reports split them; the latest entry's status; and the
 * lock date, when the order's commission is (or was) approved. Orders with no entry yet get null.
 */
async function affiliateCommissions(deps: Pick<AppDeps, 'db'>, affiliateId: number, orders: readonly OrderRow[]) {
  const earned = new Map<
    number,
    { currency: string; estimated: string; settled: string; status: LedgerStatus; lockDate: string | null }
  >();
  if (orders.length === 0) return earned;
  const rows = await deps.db
    .selectFrom('ledger_entries as e')
    .innerJoin('programs as p', 'p.id', 'e.program_id')
    .select(['e.order_id', 'e.status', 'e.kind', 'e.amount_minor', 'e.currency', 'p.lock_days'])
    .where('e.affiliate_id', '=', affiliateId)
    .where(
      'e.order_id',
      'in',
      jsonList(orders.map((o) => o.id)),
    )
    .orderBy('e.id')
    .execute();
  const completed = new Map(orders.map((o) => [o.id, o.completed_at]));
  const sums = new Map<number, { currency: string; estimated: number; settled: number; status: LedgerStatus; lockDays: number }>();
  for (const r of rows) {
    // Only entries of the listed orders are read, so order_id is set (a manual adjustment has none).
    if (r.order_id === null) continue;
    const s = sums.get(r.order_id) ?? { currency: r.currency, estimated: 0, settled: 0, status: r.status, lockDays: r.lock_days };
    if (r.status === 'pending' || r.status === 'held') s.estimated += r.amount_minor;
    if (r.status === 'approved' || r.status === 'paid') s.settled += r.amount_minor;
    // A clawback stays approved whatever the order's standing: the order's status is its other entries'.
    if (r.kind !== 'clawback') s.status = r.status;
    sums.set(r.order_id, s);
  }
  for (const [orderId, s] of sums) {
    const completedAt = completed.get(orderId) ?? null;
    earned.set(orderId, {
      currency: s.currency,
      estimated: amount(s.estimated, s.currency),
      settled: amount(s.settled, s.currency),
      status: s.status,
      lockDate: completedAt === null ? null : new Date(Date.parse(completedAt) + s.lockDays * 86_400_000).toISOString(),
    });
  }
  return earned;
}
