import type { AuditLog } from '../../domain/audit/audit-log.port.js';
import type { IdGenerator } from '../../domain/shared/id-generator.port.js';
import { DomainError } from '../../domain/shared/errors.js';
import type { Clock } from '../../domain/shared/clock.port.js';
import type { JoinedTransactions } from '../../domain/shared/request-transactions.port.js';
import type { UnitOfWork } from '../../domain/shared/unit-of-work.port.js';
import { parseUuid } from '../../domain/shared/uuid.js';
import type { Tenant } from '../../domain/tenancy/tenant.js';
import { tenantNotFound } from '../../domain/tenancy/tenancy.errors.js';
import type { TenantChanges } from '../../domain/tenancy/tenant-changes.port.js';
import type { Actor } from '../shared/actor.js';
import { actingFrom, auditActorOf, type AuditContext } from '../shared/audit-context.js';
import { inOneTransaction } from '../shared/in-one-transaction.js';
import { isPlatformOperator, mayReach } from '../shared/platform-operator.js';
import { parseDisplayName, parsePlan } from './tenant-input.js';

export interface UpdateTenantInput {
  readonly id: string;
  readonly displayName?: string | undefined;
  readonly plan?: string | undefined;
  readonly selfSignUpEnabled?: boolean | undefined;
}

/** Tenant admins edit their own tenant's profile; the plan is the platform's to set. */
export class TenantUpdater {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly clock: Clock,
    private readonly changes: TenantChanges,
    private readonly audit: AuditLog,
    private readonly ids: IdGenerator,
    /** Joins the request's transaction, or opens one: the change and its event, or neither. */
    private readonly transactions: JoinedTransactions,
  ) {}

  async run(actor: Actor, input: UpdateTenantInput, context: AuditContext = {}): Promise<Tenant> {
    const id = parseUuid('id', input.id);
    if (input.plan !== undefined && !isPlatformOperator(actor)) {
      throw new DomainError(
        'permission_denied',
        'PLAN_CHANGE_FORBIDDEN',
        'plan: only platform operators may change a tenant plan',
        { field: 'plan' },
      );
    }
    const edits = {
      ...(input.displayName === undefined
        ? {}
        : { displayName: parseDisplayName('display_name', input.displayName) }),
      ...(input.plan === undefined ? {} : { plan: parsePlan('plan', input.plan) }),
      ...(input.selfSignUpEnabled === undefined
        ? {}
        : { selfSignUpEnabled: input.selfSignUpEnabled }),
    };
    const updated = await inOneTransaction(this.transactions, actor.tenantId, () =>
      this.updateAndRecord(actor, id, edits, context),
    );
    this.changes.changed(id);
    return updated;
  }

  private async updateAndRecord(
    actor: Actor,
    id: string,
    edits: Partial<Pick<Tenant, 'displayName' | 'plan' | 'selfSignUpEnabled'>>,
    context: AuditContext,
  ): Promise<Tenant> {
    const { before, updated } = await this.uow.inTenant(actor.tenantId, async (scope) => {
      const tenant = await scope.tenants.findByIdForUpdate(id);
      if (tenant === undefined || !mayReach(actor, tenant.id)) throw tenantNotFound();
      const next: Tenant = { ...tenant, ...edits, updatedAt: this.clock.now() };
      await scope.tenants.update(next);
      return { before: tenant, updated: next };
    });
    // In the changed tenant's own log: the fields changed, each with its value before and after.
    const changes: Record<string, string | boolean> = {};
    for (const field of Object.keys(edits) as (keyof typeof edits)[]) {
      changes[`before.${field}`] = before[field];
      changes[`after.${field}`] = updated[field];
    }
    await this.audit.append([
      {
        tenantId: id,
        id: this.ids.newId(),
        occurredAt: updated.updatedAt,
        actor: auditActorOf(actor, context),
        action: 'tenant.updated',
        target: { type: 'tenant', id },
        outcome: 'success',
        details: {
          fields: Object.keys(edits).sort().join(','),
          ...changes,
          ...actingFrom(actor, id),
        },
      },
    ]);
    return updated;
  }
}
