import type { Role } from '../store/database';

/** Who is calling: one role and, for merchants and affiliates, one tenant. */
export interface Principal {
  keyId: number;
  role: Role;
  merchantId: number | null;
  affiliateId: number | null;
  /** Set while the key is inside a rotation's grace period: it still works, but only until then. */
  retiresAt?: string;
}

export interface AppEnv {
  Variables: { principal: Principal };
}
