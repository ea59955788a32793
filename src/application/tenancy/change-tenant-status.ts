import type { AuditLog } from '../../domain/audit/audit-log.port.js';
import type { IdGenerator } from '../../domain/shared/id-generator.port.js';
import type { Clock } from '../../domain/shared/clock.port.js';
import type { JoinedTransactions } from '../../domain/shared/request-transactions.port.js';
import type { UnitOfWork } from '../../domain/shared/unit-of-work.port.js';
import { parseUuid } from '../../domain/shared/uuid.js';
import { reactivateTenant, suspendTenant, type Tenant } from '../../domain/tenancy/tenant.js';
import { tenantNotFound } from '../../domain/tenancy/tenancy.errors.js';
import type { TenantChanges } from '../../domain/tenancy/tenant-changes.port.js';
import type { Actor } from '../shared/actor.js';
import { actingFrom, auditActorOf, type AuditContext } from '../shared/audit-context.js';
import { inOneTransaction } from '../shared/in-one-transaction.js';

/** Suspends or reactivates a tenant and drops it from every resolution cache at once. */
export class TenantStatusChanger {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly clock: Clock,
    private readonly changes: TenantChanges,
    private readonly audit: AuditLog,
    private readonly ids: IdGenerator,
    /** Joins the request's transaction, or opens one: the change and its event, or neither. */
    private readonly transactions: JoinedTransactions,
  ) {}

  suspend(actor: Actor, id: string, context: AuditContext = {}): Promise<Tenant> {
    return this.change(actor, id, context, 'tenant.suspended', suspendTenant);
  }

  reactivate(actor: Actor, id: string, context: AuditContext = {}): Promise<Tenant> {
    return this.change(actor, id, context, 'tenant.reactivated', reactivateTenant);
  }

  private async change(
    actor: Actor,
    rawId: string,
    context: AuditContext,
    action: 'tenant.suspended' | 'tenant.reactivated',
    transition: (tenant: Tenant, now: Date) => Tenant,
  ): Promise<Tenant> {
    const id = parseUuid('id', rawId);
    const updated = await inOneTransaction(this.transactions, actor.tenantId, () =>
      this.changeAndRecord(actor, id, context, action, transition),
    );
    this.changes.changed(id);
    return updated;
  }

  private async changeAndRecord(
    actor: Actor,
    id: string,
    context: AuditContext,
    action: 'tenant.suspended' | 'tenant.reactivated',
    transition: (tenant: Tenant, now: Date) => Tenant,
  ): Promise<Tenant> {
    const { before, updated, changed } = await this.uow.inTenant(actor.tenantId, async (scope) => {
      const tenant = await scope.tenants.findByIdForUpdate(id);
      if (tenant === undefined) throw tenantNotFound();
      const next = transition(tenant, this.clock.now());
      if (next !== tenant) await scope.tenants.update(next);
      return { before: tenant, updated: next, changed: next !== tenant };
    });
    // Only real transitions are recorded, in the changed tenant's own log.
    if (changed) {
      await this.audit.append([
        {
          tenantId: id,
          id: this.ids.newId(),
          occurredAt: updated.updatedAt,
          actor: auditActorOf(actor, context),
          action,
          target: { type: 'tenant', id },
          outcome: 'success',
          details: {
            status: updated.status,
            'before.status': before.status,
            'after.status': updated.status,
            ...actingFrom(actor, id),
          },
        },
      ]);
    }
    return updated;
  }
}
