import type { Role } from '../store/database';

/** Who is calling: one role and, for merchants and affiliates, one tenant. */
export interface Principal {
  keyId: number;
  role: Role;
  merchantId: number | null;
  affiliateId: number | null;
}

export interface AppEnv {
  Variables: { principal: Principal };
}
