import type { Clock } from '../../domain/shared/clock.port.js';
import type { UnitOfWork } from '../../domain/shared/unit-of-work.port.js';
import { parseUuid } from '../../domain/shared/uuid.js';
import { reactivateTenant, suspendTenant, type Tenant } from '../../domain/tenancy/tenant.js';
import { tenantNotFound } from '../../domain/tenancy/tenancy.errors.js';
import type { TenantChanges } from '../../domain/tenancy/tenant-changes.port.js';
import type { Actor } from '../shared/actor.js';

/** Suspends or reactivates a tenant and drops it from every resolution cache at once. */
export class TenantStatusChanger {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly clock: Clock,
    private readonly changes: TenantChanges,
  ) {}

  suspend(actor: Actor, id: string): Promise<Tenant> {
    return this.change(actor, id, suspendTenant);
  }

  reactivate(actor: Actor, id: string): Promise<Tenant> {
    return this.change(actor, id, reactivateTenant);
  }

  private async change(
    actor: Actor,
    rawId: string,
    transition: (tenant: Tenant, now: Date) => Tenant,
  ): Promise<Tenant> {
    const id = parseUuid('id', rawId);
    const updated = await this.uow.inTenant(actor.tenantId, async (scope) => {
      const tenant = await scope.tenants.findById(id);
      if (tenant === undefined) throw tenantNotFound();
      const next = transition(tenant, this.clock.now());
      if (next !== tenant) await scope.tenants.update(next);
      return next;
    });
    this.changes.changed(id);
    return updated;
  }
}
