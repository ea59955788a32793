import { parseUuid } from '../../domain/shared/uuid.js';
import type { UnitOfWork } from '../../domain/shared/unit-of-work.port.js';
import type { Tenant } from '../../domain/tenancy/tenant.js';
import { tenantNotFound } from '../../domain/tenancy/tenancy.errors.js';
import { parseTenantSlug } from '../../domain/tenancy/tenant-slug.js';
import type { Actor } from '../shared/actor.js';

export type TenantLookup =
  { readonly by: 'id'; readonly id: string } | { readonly by: 'slug'; readonly slug: string };

/** Finds a tenant the actor may see; one it may not see is reported as not found. */
export class TenantFinder {
  constructor(private readonly uow: UnitOfWork) {}

  async run(actor: Actor, lookup: TenantLookup): Promise<Tenant> {
    const tenant = await this.uow.inTenant(actor.tenantId, (scope) =>
      lookup.by === 'id'
        ? scope.tenants.findById(parseUuid('id', lookup.id))
        : scope.tenants.findBySlug(parseTenantSlug('slug', lookup.slug)),
    );
    if (tenant === undefined) throw tenantNotFound();
    return tenant;
  }
}
