import { parseUuid } from '../../domain/shared/uuid.js';
import type { UnitOfWork } from '../../domain/shared/unit-of-work.port.js';
import type { TenantViewCache } from '../../domain/tenancy/tenant-view-cache.port.js';
import type { Tenant } from '../../domain/tenancy/tenant.js';
import { tenantNotFound } from '../../domain/tenancy/tenancy.errors.js';
import { parseTenantSlug } from '../../domain/tenancy/tenant-slug.js';
import type { Actor } from '../shared/actor.js';
import { mayReach } from '../shared/platform-operator.js';

export type TenantLookup =
  { readonly by: 'id'; readonly id: string } | { readonly by: 'slug'; readonly slug: string };

/**
 * Finds a tenant the actor may see; one it may not see is reported as not found. Reads go
 * through the database as the acting tenant and are cached per acting tenant.
 */
export class TenantFinder {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly cache: TenantViewCache,
  ) {}

  async run(actor: Actor, lookup: TenantLookup): Promise<Tenant> {
    const tenant =
      lookup.by === 'id'
        ? await this.byId(actor.tenantId, parseUuid('id', lookup.id))
        : await this.bySlug(actor.tenantId, parseTenantSlug('slug', lookup.slug));
    // The platform tenant's view shows every tenant; only operators may use that reach.
    if (tenant === undefined || !mayReach(actor, tenant.id)) throw tenantNotFound();
    return tenant;
  }

  private byId(viewer: string, id: string): Promise<Tenant | undefined> {
    return this.cache.through(viewer, `id:${id}`, () =>
      this.uow.inTenant(viewer, (scope) => scope.tenants.findById(id)),
    );
  }

  private bySlug(viewer: string, slug: string): Promise<Tenant | undefined> {
    return this.cache.through(viewer, `slug:${slug}`, () =>
      this.uow.inTenant(viewer, (scope) => scope.tenants.findBySlug(slug)),
    );
  }
}
