/**
 * Which approved entries a payout run pays: per affiliate and currency (never across
 * currencies), negative entries (clawbacks, adjustments) netted against positive ones, and a
 * line only when the net reaches the minimum. Everything else carries over to the next run.
 */
export interface PayableEntry {
  entryId: string;
  affiliateId: number;
  currency: string;
  amountMinor: number;
}

export interface PayoutLine {
  affiliateId: number;
  currency: string;
  amountMinor: number;
  entryIds: string[];
}

export interface PayoutPlan {
  lines: PayoutLine[];
  carriedOver: { affiliateId: number; currency: string; amountMinor: number }[];
}

export function planPayout(entries: readonly PayableEntry[], minimumMinor: (currency: string) => number): PayoutPlan {
  const groups = new Map<string, PayoutLine>();
  for (const e of entries) {
    const key = `${e.affiliateId}\u0000${e.currency}`;
    const line = groups.get(key) ?? { affiliateId: e.affiliateId, currency: e.currency, amountMinor: 0, entryIds: [] };
    line.amountMinor += e.amountMinor;
    line.entryIds.push(e.entryId);
    groups.set(key, line);
  }
  const plan: PayoutPlan = { lines: [], carriedOver: [] };
  const sorted = [...groups.values()].sort((a, b) => a.affiliateId - b.affiliateId || (a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0));
  for (const line of sorted) {
    if (line.amountMinor > 0 && line.amountMinor >= minimumMinor(line.currency)) plan.lines.push(line);
    else plan.carriedOver.push({ affiliateId: line.affiliateId, currency: line.currency, amountMinor: line.amountMinor });
  }
  return plan;
}
