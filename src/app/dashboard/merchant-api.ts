// What the merchant pages read from the API, as the API answers it.

export interface Program {
  id: string;
  name: string;
  currency: string;
  plan: unknown;
}
export interface OrderSummary {
  id: string;
  programId: string;
  status: string;
  currency: string;
  revenue: string;
  placedAt: string;
  affiliateId: string | null;
  method: string;
  reason: string;
  held: boolean;
}
export interface OrderDetail extends OrderSummary {
  /** Gross, before refunds (the list's revenue is net of them). */
  revenue: string;
  refunded: string;
  items: {
    sku: string;
    category: string | null;
    quantity: number;
    unitPrice: string;
    discount: string;
    refundedQuantity: number;
    base: string;
    baseAfterRefunds: string;
  }[];
  review: string | null;
  commission: string | null;
  commissionCurrency: string | null;
  waitingForRate: { from: string; to: string } | null;
  attribution: {
    affiliateId: string | null;
    method: string;
    reason: string;
    held: boolean;
    clickId: string | null;
    linkId: string | null;
    coupon: string | null;
    receipt: unknown;
  };
  history: { type: string; occurredAt: string; receivedAt: string; channel: string }[];
  ledger: {
    id: string;
    affiliateId: string;
    kind: string;
    status: string;
    amount: string;
    currency: string;
    base: string | null;
    rate: string | null;
    rule: string | null;
    explanation: string;
  }[];
}
export interface Simulation {
  currency: string;
  orders: number;
  affiliates: { affiliateId: string; orders: number; current: string; proposed: string; difference: string }[];
  totals: { current: string; proposed: string; difference: string };
}
export interface PostbackToken {
  id: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}
