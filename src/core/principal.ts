/** The four kinds of API key; every route names the ones it admits. */
export type Role = 'admin' | 'merchant' | 'affiliate' | 'finance';
export const ROLES = ['admin', 'merchant', 'affiliate', 'finance'] as const satisfies readonly Role[];

/** Who is calling: one role and, for merchants and affiliates, one tenant. */
export interface Principal {
  keyId: number;
  role: Role;
  merchantId: number | null;
  affiliateId: number | null;
  /** Set while the key is inside a rotation's grace period: it still works, but only until then. */
  retiresAt?: string;
}
