import type { CommissionComponent } from './commission';

/**
 * The commission lifecycle as pure functions: where an order stands at `asOf`, and which ledger
 * entries and status changes bring its ledger to the amounts it now earns. Entries are only
 * appended; approving or holding changes statuses, never sums (P10).
 */
/** `manual`: a merchant's or finance's adjustment by hand (use-cases/adjustments.ts), never the batch's. */
export const LEDGER_KINDS = ['accrual', 'adjustment', 'reversal', 'clawback', 'override', 'manual'] as const;
export const LEDGER_STATUSES = ['pending', 'approved', 'held', 'reversed', 'paid'] as const;
export type LedgerKind = (typeof LEDGER_KINDS)[number];
export type LedgerStatus = (typeof LEDGER_STATUSES)[number];
export type OrderStanding = 'pending' | 'approved' | 'held' | 'void';

const DAY_MS = 86_400_000;

export interface OrderLifecycleFacts {
  status: 'created' | 'paid' | 'completed' | 'refunded' | 'cancelled';
  completedAt: string | null;
  held: boolean;
  review: 'released' | 'rejected' | null;
  lockDays: number;
}

export function orderStanding(order: OrderLifecycleFacts, asOfMs: number): OrderStanding {
  if (order.status === 'cancelled' || order.status === 'refunded' || order.review === 'rejected') return 'void';
  if (order.held && order.review !== 'released') return 'held';
  if (order.completedAt !== null && Date.parse(order.completedAt) + order.lockDays * DAY_MS <= asOfMs) return 'approved';
  return 'pending';
}

const statusFor: Record<OrderStanding, LedgerStatus> = {
  pending: 'pending',
  approved: 'approved',
  held: 'held',
  void: 'reversed',
};

export interface ExistingEntry {
  entryId: string;
  slot: string;
  affiliateId: number;
  amountMinor: number;
  status: LedgerStatus;
  kind: LedgerKind;
}

export interface TargetComponent extends CommissionComponent {
  affiliateId: number;
}

export interface NewEntry {
  entryId: string;
  slot: string;
  affiliateId: number;
  lineIndex: number | null;
  kind: LedgerKind;
  status: LedgerStatus;
  amountMinor: number;
  baseMinor: number | null;
  rateBp: number | null;
  rule: string;
  explanation: string;
}

export interface LedgerChanges {
  append: NewEntry[];
  statusChanges: { entryId: string; status: LedgerStatus }[];
}

/**
 * Appends, per slot and beneficiary, the difference between what the order now earns and what
 * its entries already sum to, and moves unpaid entries to the order's standing. A decrease after
 * part of the slot was paid is a clawback: it stays approved and nets against the next payout.
 */
export function planLedgerChanges(
  orderId: number,
  existing: readonly ExistingEntry[],
  targets: readonly TargetComponent[],
  standing: OrderStanding,
): LedgerChanges {
  const key = (slot: string, affiliateId: number) => `${slot}\u0000${affiliateId}`;
  const slots = new Map<string, { sum: number; count: number; paid: boolean }>();
  for (const e of existing) {
    const s = slots.get(key(e.slot, e.affiliateId)) ?? { sum: 0, count: 0, paid: false };
    s.sum += e.amountMinor;
    s.count += 1;
    s.paid ||= e.status === 'paid';
    slots.set(key(e.slot, e.affiliateId), s);
  }
  const wanted = new Map<string, TargetComponent | undefined>();
  for (const t of targets) wanted.set(key(t.slot, t.affiliateId), t);
  // A slot that no longer exists (a bonus whose rule went away) is owed back in full.
  for (const e of existing) if (!wanted.has(key(e.slot, e.affiliateId))) wanted.set(key(e.slot, e.affiliateId), undefined);

  const append: NewEntry[] = [];
  const orphan = (k: string) => existing.find((e) => key(e.slot, e.affiliateId) === k)!;
  for (const [k, target] of wanted) {
    const have = slots.get(k) ?? { sum: 0, count: 0, paid: false };
    const targetAmount = target?.amountMinor ?? 0;
    const delta = targetAmount - have.sum;
    if (delta === 0) continue;
    const slot = target?.slot ?? orphan(k).slot;
    const affiliateId = target?.affiliateId ?? orphan(k).affiliateId;
    const kind: LedgerKind =
      have.count === 0
        ? target?.kind === 'parent'
          ? 'override'
          : 'accrual'
        : delta < 0 && have.paid
          ? 'clawback'
          : targetAmount === 0
            ? 'reversal'
            : 'adjustment';
    const status: LedgerStatus = kind === 'clawback' ? 'approved' : statusFor[standing];
    const why = target?.explanation ?? 'no longer earned';
    append.push({
      entryId: `${orderId}:${slot}:${affiliateId}:${have.count + 1}`,
      slot,
      affiliateId,
      lineIndex: target?.lineIndex ?? null,
      kind,
      status,
      amountMinor: delta,
      baseMinor: target?.baseMinor ?? null,
      rateBp: target?.rateBp ?? null,
      rule: target?.rule ?? 'removed',
      explanation: have.count === 0 ? why : `${kind}: now ${why}; before ${have.sum} minor units, change ${delta}`,
    });
  }
  // Paid entries are history; a clawback stays approved until a payout nets it.
  const statusChanges = existing
    .filter((e) => e.status !== 'paid' && e.kind !== 'clawback' && e.status !== statusFor[standing])
    .map((e) => ({ entryId: e.entryId, status: statusFor[standing] }));
  return { append, statusChanges };
}
