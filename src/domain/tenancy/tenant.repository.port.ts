import type { Page, PageQuery } from '../shared/page.js';
import type { Tenant, TenantStatus } from './tenant.js';

/**
 * Tenants visible in the current unit of work: a tenant sees only itself, the platform tenant
 * sees all (the database enforces this, not the callers).
 */
export interface TenantRepository {
  /** Throws `TENANT_SLUG_TAKEN` when the slug exists. */
  insert(tenant: Tenant): Promise<void>;
  findById(id: string): Promise<Tenant | undefined>;
  /**
   * `findById`, keeping the row locked until the unit of work ends: a change reads, edits and
   * writes the whole row back without undoing a concurrent one (a profile edit racing a
   * suspension must not reactivate the tenant).
   */
  findByIdForUpdate(id: string): Promise<Tenant | undefined>;
  findBySlug(slug: string): Promise<Tenant | undefined>;
  /** Ordered by slug; `after` is a slug. */
  list(query: PageQuery, status: TenantStatus | undefined): Promise<Page<Tenant>>;
  update(tenant: Tenant): Promise<void>;
}
