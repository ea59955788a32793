import type { Principal } from '../../domain/identity/principal.js';

/**
 * Who asks, and in which tenant they act: their own, or for platform principals the tenant
 * they chose. Use cases open units of work in `tenantId` and let the database confine them.
 */
export interface Actor {
  readonly principal: Principal;
  readonly tenantId: string;
  /**
   * Holds `platform:admin` in the platform tenant right now, as the authorization engine
   * decided when the call was authenticated (never from the token's `roles` claim, which may
   * be minutes old). Absent means no.
   */
  readonly platformOperator?: boolean;
}
