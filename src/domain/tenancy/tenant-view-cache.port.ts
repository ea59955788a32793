import type { Tenant } from './tenant.js';

/**
 * Tenants as one acting tenant last read them (through the database's isolation), so repeated
 * reads cost no query. Keyed by the viewer, so a cached row is only ever served to a viewer
 * the database already let see it.
 */
export interface TenantViewCache {
  /** The cached tenant, or what `load` finds (remembered when found). */
  through(
    viewerTenantId: string,
    key: string,
    load: () => Promise<Tenant | undefined>,
  ): Promise<Tenant | undefined>;
  invalidate(tenantId: string): void;
}
