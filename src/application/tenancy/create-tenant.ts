import type { AuditLog } from '../../domain/audit/audit-log.port.js';
import { systemRolesFor } from '../../domain/authorization/system-roles.js';
import type { Clock } from '../../domain/shared/clock.port.js';
import type { IdGenerator } from '../../domain/shared/id-generator.port.js';
import type { UnitOfWork } from '../../domain/shared/unit-of-work.port.js';
import { DEFAULT_PLAN, type Tenant } from '../../domain/tenancy/tenant.js';
import type { TenantChanges } from '../../domain/tenancy/tenant-changes.port.js';
import { parseTenantSlug } from '../../domain/tenancy/tenant-slug.js';
import type { Actor } from '../shared/actor.js';
import { actingFrom, auditActorOf, type AuditContext } from '../shared/audit-context.js';
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
    private readonly audit: AuditLog,
  ) {}

  async run(actor: Actor, input: CreateTenantInput, context: AuditContext = {}): Promise<Tenant> {
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
    // Recorded in the new tenant's own log: its history starts with who created it.
    await this.audit.append([
      {
        tenantId: tenant.id,
        id: this.ids.newId(),
        occurredAt: now,
        actor: auditActorOf(actor, context),
        action: 'tenant.created',
        target: { type: 'tenant', id: tenant.id },
        outcome: 'success',
        details: { slug: tenant.slug, plan: tenant.plan, ...actingFrom(actor, tenant.id) },
      },
    ]);
    // Resolution caches may remember the slug as unknown.
    this.changes.changed(tenant.id);
    return tenant;
  }
}
