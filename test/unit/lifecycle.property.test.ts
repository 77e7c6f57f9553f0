import { describe, expect, it } from 'vitest';
import { affiliateTotal, computeCommission } from '../../src/domain/commission';
import { compilePlan } from '../../src/domain/commission-plan';
import { type ExistingEntry, type LedgerKind, orderStanding, planLedgerChanges } from '../../src/domain/ledger';
import { deriveOrderState, type OrderEventFacts, type OrderEventType, type OrderSnapshot } from '../../src/domain/order';
import { prng } from '../support/prng';

/**
 * P10 and P17 as properties over random event histories: after every batch the entries of an
 * order sum to exactly what it earns now; nothing is approved before completion + lock period;
 * paid entries never change; a refund after payout becomes an approved negative entry; a voided
 * order nets to exactly zero. Seeded, so a failure names a reproducible seed. Seen failing once
 * each against two deliberately broken builds: a clawback left pending (seed 76) and approval a
 * day before the lock period ends (seed 7).
 */

const plan = compilePlan(
  {
    default: { percent: '8' },
    rules: [
      { sku: 'GIFT', percent: '0' },
      { category: 'electronics', percent: '3' },
      { newCustomer: true, bonusFlat: '5.00' },
      { sku: 'BOX', flat: '1.25' },
    ],
    tiers: [{ monthlySalesOver: '1000.00', percent: '10' }],
    maxPerOrder: '60.00',
    parentPercent: '10',
  },
  'EUR',
);
const LOCK_DAYS = 14;
const DAY = 86_400_000;
const T0 = Date.parse('2026-11-01T00:00:00Z');

interface Entry extends ExistingEntry {
  kind: LedgerKind;
  approvedAt?: number;
}

describe('the lifecycle over random histories (P10, P17)', () => {
  it('keeps every invariant over 1,000 random histories', () => {
    for (let seed = 1; seed <= 1000; seed++) {
      const random = prng(seed);
      const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
      const lines = Array.from({ length: 1 + Math.floor(random() * 3) }, () => ({
        sku: pick(['S1', 'GIFT', 'BOX', 'TV']),
        category: pick(['shoes', 'electronics', undefined]),
        quantity: 1 + Math.floor(random() * 4),
        unitPriceMinor: 1 + Math.floor(random() * 30000),
        discountMinor: 0,
        refundedQuantity: 0,
      }));
      lines.forEach((l) => (l.discountMinor = Math.floor(random() * l.quantity * l.unitPriceMinor * 0.3)));
      const base: OrderSnapshot = {
        id: `o${seed}`,
        currency: 'EUR',
        shippingMinor: 490,
        taxMinor: 0,
        nonCashMinor: 0,
        newCustomer: random() < 0.5,
        lines,
      };
      const held = random() < 0.15;
      const review = held ? pick(['released', 'rejected', null] as const) : null;
      const monthSales = random() < 0.3 ? 200_000 : 0;

      const events: OrderEventFacts[] = [];
      const entries: Entry[] = [];
      let now = T0;
      const add = (type: OrderEventType, order: OrderSnapshot) => {
        now += Math.floor(random() * 3 * DAY);
        events.push({ type, occurredAt: new Date(now).toISOString(), contentHash: `${seed}-${events.length}`, order });
      };
      add('order.paid', base);
      const steps = 1 + Math.floor(random() * 5);
      let current = base;
      for (let i = 0; i < steps; i++) {
        const roll = random();
        if (roll < 0.35) add('order.completed', current);
        else if (roll < 0.7) {
          current = {
            ...current,
            lines: current.lines.map((l) => ({
              ...l,
              refundedQuantity: Math.min(l.quantity, l.refundedQuantity + (random() < 0.5 ? 1 : 0)),
            })),
          };
          if (current.lines.every((l) => l.refundedQuantity === 0)) current.lines[0]!.refundedQuantity = 1;
          add('order.refunded', current);
        } else if (roll < 0.8) add('order.cancelled', current);
        else {
          // A payout: every approved entry is paid, as a payout run would.
          for (const e of entries) if (e.status === 'approved' && e.kind !== 'clawback') e.status = 'paid';
        }
        // A batch at a random moment after the event.
        const asOf = now + Math.floor(random() * 20 * DAY);
        const state = deriveOrderState(events);
        const voided = state.status === 'cancelled' || state.status === 'refunded' || review === 'rejected';
        const components = computeCommission({
          plan,
          order: state.snapshot,
          voided,
          monthSalesBeforeMinor: monthSales,
          hasParent: true,
        });
        const targets = components.map((c) => ({ ...c, affiliateId: c.beneficiary === 'parent' ? 2 : 1 }));
        const standing = orderStanding(
          { status: state.status, completedAt: state.completedAt, held, review, lockDays: LOCK_DAYS },
          asOf,
        );
        const paidBefore = entries.filter((e) => e.status === 'paid').map((e) => `${e.entryId}:${e.amountMinor}`);
        const changes = planLedgerChanges(1, entries, targets, standing);
        for (const c of changes.statusChanges) {
          const e = entries.find((x) => x.entryId === c.entryId)!;
          e.status = c.status;
          if (c.status === 'approved') e.approvedAt = asOf;
        }
        for (const a of changes.append)
          entries.push({
            entryId: a.entryId,
            slot: a.slot,
            affiliateId: a.affiliateId,
            amountMinor: a.amountMinor,
            status: a.status,
            kind: a.kind,
            ...(a.status === 'approved' ? { approvedAt: asOf } : {}),
          });

        const context = `seed ${seed}, step ${i}`;
        // The entries sum to what the order earns now, for the affiliate and for the recruiter.
        const sum = (id: number) => entries.filter((e) => e.affiliateId === id).reduce((s, e) => s + e.amountMinor, 0);
        expect(sum(1), context).toBe(affiliateTotal(components));
        expect(sum(2), context).toBe(components.filter((c) => c.beneficiary === 'parent').reduce((s, c) => s + c.amountMinor, 0));
        // A voided order nets to exactly zero.
        if (voided) expect(sum(1) + sum(2), context).toBe(0);
        // Nothing approved before completion + lock, unless it is a clawback of money paid.
        for (const e of entries) {
          if (e.status === 'approved' && e.kind !== 'clawback') {
            expect(state.completedAt, context).not.toBeNull();
            expect(Date.parse(state.completedAt!) + LOCK_DAYS * DAY, context).toBeLessThanOrEqual(e.approvedAt!);
          }
        }
        // Paid entries are never changed or paid again; ids are never reused.
        expect(
          entries
            .filter((e) => e.status === 'paid')
            .map((e) => `${e.entryId}:${e.amountMinor}`)
            .slice(0, paidBefore.length),
          context,
        ).toEqual(paidBefore);
        expect(new Set(entries.map((e) => e.entryId)).size, context).toBe(entries.length);
        // A decrease after payout is an approved clawback, never a silent edit.
        for (const a of changes.append) {
          if (a.kind === 'clawback') {
            expect(a.amountMinor, context).toBeLessThan(0);
            expect(a.status, context).toBe('approved');
          }
        }
        // Running the same batch again changes nothing.
        const again = planLedgerChanges(1, entries, targets, standing);
        expect(again, context).toEqual({ append: [], statusChanges: [] });
      }
    }
  });
});
