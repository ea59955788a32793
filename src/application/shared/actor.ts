import type { Principal } from '../../domain/identity/principal.js';

/**
 * Who asks, and in which tenant they act: their own, or for platform principals the tenant
 * they chose. Use cases open units of work in `tenantId` and let the database confine them.
 */
export interface Actor {
  readonly principal: Principal;
  readonly tenantId: string;
}
