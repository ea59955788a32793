import { isUuid } from '../../../domain/shared/uuid.js';
import type { TenantDirectory, TenantRef } from '../../../domain/tenancy/tenant-directory.port.js';
import type { Tenant } from '../../../domain/tenancy/tenant.js';
import type { MemoryDatabase } from './memory-database.js';

const toRef = (tenant: Tenant | undefined): TenantRef | undefined =>
  tenant === undefined ? undefined : { id: tenant.id, slug: tenant.slug, status: tenant.status };

/** Cross-tenant tenant references from the committed memory state (like the Postgres functions). */
export class InMemoryTenantDirectory implements TenantDirectory {
  constructor(private readonly database: MemoryDatabase) {}

  bySlug(slug: string): Promise<TenantRef | undefined> {
    const tenant = [...this.database.current().tenants.values()].find(
      (candidate) => candidate.slug === slug,
    );
    return Promise.resolve(toRef(tenant));
  }

  byId(id: string): Promise<TenantRef | undefined> {
    if (!isUuid(id)) return Promise.resolve(undefined);
    return Promise.resolve(toRef(this.database.current().tenants.get(id.toLowerCase())));
  }
}
