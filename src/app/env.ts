import type { Principal } from '../core/principal';

export interface AppEnv {
  Variables: { principal: Principal };
}
