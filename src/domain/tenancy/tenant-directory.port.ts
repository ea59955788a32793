import type { TenantStatus } from './tenant.js';

/** The minimum any request may learn about a tenant before it is inside one. */
export interface TenantRef {
  readonly id: string;
  readonly slug: string;
  readonly status: TenantStatus;
}

/**
 * Cross-tenant lookup of tenant references, for resolving a slug at login or checking a
 * token's tenant status. It is a named, narrow path through the isolation boundary.
 */
export interface TenantDirectory {
  bySlug(slug: string): Promise<TenantRef | undefined>;
  byId(id: string): Promise<TenantRef | undefined>;
}
