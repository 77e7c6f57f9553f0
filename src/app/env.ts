import type { Principal } from '../core/principal';

export interface AppEnv {
  Variables: {
    principal: Principal;
    /** Set by a route whose use-case wrote its audit row in its own unit of work. */
    audited?: boolean;
    /** The object as it was, set by a route that reads it before changing it, for the audit row's summary. */
    auditBefore?: unknown;
  };
}
