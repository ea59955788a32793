import { systemRolesFor } from '../../domain/authorization/system-roles.js';
import type { Clock } from '../../domain/shared/clock.port.js';
import type { IdGenerator } from '../../domain/shared/id-generator.port.js';
import type { UnitOfWork } from '../../domain/shared/unit-of-work.port.js';
import { DEFAULT_PLAN, type Tenant } from '../../domain/tenancy/tenant.js';
import type { TenantChanges } from '../../domain/tenancy/tenant-changes.port.js';
import { parseTenantSlug } from '../../domain/tenancy/tenant-slug.js';
import { parseDisplayName, parsePlan } from './tenant-input.js';

export interface CreateTenantInput {
  readonly slug: string;
  readonly displayName: string;
  readonly plan: string;
  readonly selfSignUpEnabled: boolean;
}

/** Creates a tenant and its system roles in one transaction, inside the new tenant itself. */
export class TenantCreator {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly changes: TenantChanges,
  ) {}

  async run(input: CreateTenantInput): Promise<Tenant> {
    const now = this.clock.now();
    const tenant: Tenant = {
      id: this.ids.newId(),
      slug: parseTenantSlug('slug', input.slug),
      displayName: parseDisplayName('display_name', input.displayName),
      plan: input.plan === '' ? DEFAULT_PLAN : parsePlan('plan', input.plan),
      status: 'active',
      selfSignUpEnabled: input.selfSignUpEnabled,
      createdAt: now,
      updatedAt: now,
    };
    await this.uow.inTenant(tenant.id, async (scope) => {
      await scope.tenants.insert(tenant);
      await scope.roles.insertRoles(systemRolesFor(tenant.id, () => this.ids.newId(), now));
    });
    // Resolution caches may remember the slug as unknown.
    this.changes.changed(tenant.id);
    return tenant;
  }
}
