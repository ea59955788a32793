import type { AuditLog } from '../../domain/audit/audit-log.port.js';
import {
  bindingNotFound,
  lastOwner,
  roleNotFound,
  subjectNotFound,
} from '../../domain/authorization/authorization.errors.js';
import type { PolicyChanges } from '../../domain/authorization/policy-changes.port.js';
import { parseResource } from '../../domain/authorization/resource.js';
import {
  TENANT_SCOPE,
  type BindingScope,
  type Role,
  type RoleBinding,
  type SubjectKind,
} from '../../domain/authorization/role.js';
import type { RoleRepository } from '../../domain/authorization/role.repository.port.js';
import type { Clock } from '../../domain/shared/clock.port.js';
import { InvalidArgumentError } from '../../domain/shared/errors.js';
import type { IdGenerator } from '../../domain/shared/id-generator.port.js';
import { MAX_PAGE_SIZE, pageQuery, type Page } from '../../domain/shared/page.js';
import type { JoinedTransactions } from '../../domain/shared/request-transactions.port.js';
import type { TenantScope, UnitOfWork } from '../../domain/shared/unit-of-work.port.js';
import { parseUuid } from '../../domain/shared/uuid.js';
import type { Actor } from '../shared/actor.js';
import type { AuditContext } from '../shared/audit-context.js';
import type { PolicyDecisionPoint } from './policy-decision-point.js';
import {
  assertHolds,
  changeEvent,
  closureOf,
  changeAtomically,
  resolveRole,
  type RefusedChange,
} from './role-admin.js';

const OWNER_ROLE = 'owner';
/** The latest expiry a binding may have (the end of year 9999, what timestamps carry). */
const LATEST_EXPIRY = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

interface AssignResult {
  readonly binding: RoleBinding;
  readonly role: Role;
  /** Undefined when the same binding existed already (nothing changed). */
  readonly change: { readonly action: string; readonly before: Date | undefined } | undefined;
  readonly version: number;
}

/** A binding with the name of its role (what the contract shows). */
export interface BindingView {
  readonly binding: RoleBinding;
  readonly role: string;
}

export interface AssignRoleInput {
  readonly subjectId: string;
  /** Role id or name. */
  readonly role: string;
  /** Empty: the whole tenant. */
  readonly resource: string;
  readonly expiresAt: Date | undefined;
}

export interface RevokeRoleInput {
  /** Either the binding id, or subject + role (+ resource). */
  readonly bindingId: string;
  readonly subjectId: string;
  readonly role: string;
  readonly resource: string;
}

const scopeOf = (resource: string | undefined): BindingScope =>
  resource === undefined ? TENANT_SCOPE : { kind: 'resource', resource };

const resourceOf = (binding: RoleBinding): string | null =>
  binding.scope.kind === 'resource' ? binding.scope.resource : null;

async function subjectKindOf(scope: TenantScope, subjectId: string): Promise<SubjectKind> {
  if ((await scope.users.findById(subjectId)) !== undefined) return 'user';
  if ((await scope.serviceAccounts.findById(subjectId)) !== undefined) return 'service';
  throw subjectNotFound(subjectId);
}

/**
 * Whether this binding keeps the tenant owned: the system owner role, tenant-wide, without
 * expiry. A binding that will expire does not count: an owner always remains, not only until
 * then.
 */
const keepsOwnership = (binding: RoleBinding, role: Role): boolean =>
  role.system &&
  role.name === OWNER_ROLE &&
  binding.scope.kind === 'tenant' &&
  binding.expiresAt === undefined;

/**
 * An owner always remains: when `binding` keeps the tenant owned and `after` (undefined: the
 * binding is removed) would not, another binding that keeps it owned must exist (LAST_OWNER).
 */
async function assertOwnerRemains(
  roles: RoleRepository,
  binding: RoleBinding,
  role: Role,
  after: RoleBinding | undefined,
): Promise<void> {
  if (!keepsOwnership(binding, role)) return;
  if (after !== undefined && keepsOwnership(after, role)) return;
  let page: Page<RoleBinding> | undefined;
  do {
    page = await roles.listBindings(
      { roleId: role.id },
      { limit: MAX_PAGE_SIZE, after: page?.nextAfter },
    );
    if (page.items.some((other) => other.id !== binding.id && keepsOwnership(other, role))) {
      return;
    }
  } while (page.nextAfter !== undefined);
  throw lastOwner();
}

/**
 * Role bindings of the acting tenant: assign, revoke, list. Every change bumps the policy
 * version in its transaction, is audited and announced to every replica once committed.
 */
export class BindingAdmin {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly pdp: PolicyDecisionPoint,
    private readonly changes: PolicyChanges,
    private readonly audit: AuditLog,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
    /** One transaction around each change and its audit event (joining the request's). */
    private readonly transactions: JoinedTransactions,
  ) {}

  /** The change, its audit event and (after commit) its announcement, all or nothing. */
  private atomically<T>(
    actor: Actor,
    context: AuditContext,
    refused: RefusedChange,
    work: () => Promise<T>,
  ): Promise<T> {
    const { transactions, pdp, ids, clock } = this;
    return changeAtomically({ transactions, pdp, ids, clock }, actor, context, refused, work);
  }

  /**
   * Binds a role to a user or service account of the tenant, tenant-wide or on one resource,
   * optionally until `expiresAt`. The same (subject, role, resource) again returns the
   * existing binding (its expiry replaced when a different one is asked). Failures:
   * INVALID_ARGUMENT (subject_id, resource, expire_time in the past), ROLE_NOT_FOUND,
   * SUBJECT_NOT_FOUND, PERMISSION_ESCALATION (a role granting what the caller lacks).
   */
  async assign(
    actor: Actor,
    input: AssignRoleInput,
    context: AuditContext = {},
  ): Promise<BindingView> {
    const tenantId = actor.tenantId;
    const subjectId = parseUuid('subject_id', input.subjectId);
    const resource = input.resource === '' ? undefined : parseResource('resource', input.resource);
    const now = this.clock.now();
    const expiry = input.expiresAt?.getTime();
    if (expiry !== undefined && (!Number.isFinite(expiry) || expiry > LATEST_EXPIRY)) {
      throw new InvalidArgumentError('expire_time', 'must be a valid time before year 10000');
    }
    if (input.expiresAt !== undefined && input.expiresAt.getTime() <= now.getTime()) {
      throw new InvalidArgumentError('expire_time', 'must be in the future');
    }
    const caller = await this.pdp.subjectOf(actor.principal);
    return this.atomically(
      actor,
      context,
      { action: 'authz.binding.created', target: { type: 'subject', id: subjectId } },
      async () => {
        const result = await this.uow.inTenant(tenantId, async (scope): Promise<AssignResult> => {
          const { roles } = scope;
          // The policy version lock first: the role and its closure cannot change under the check.
          await roles.bumpPolicyVersion();
          const role = await resolveRole(roles, 'role', input.role);
          const subjectKind = await subjectKindOf(scope, subjectId);
          assertHolds(
            caller,
            closureOf(tenantId, await roles.listRoles(), role, now),
            now,
            `role "${role.name}"`,
          );
          const existing = await roles.findBinding(subjectId, role.id, resource);
          if (existing !== undefined) {
            const sameExpiry = existing.expiresAt?.getTime() === input.expiresAt?.getTime();
            // Nothing changes: no audit, no announcement (the version bump only took the lock).
            if (sameExpiry) return { binding: existing, role, change: undefined, version: 0 };
            const updated = { ...existing, expiresAt: input.expiresAt };
            await assertOwnerRemains(roles, existing, role, updated);
            await roles.updateBindingExpiry(existing.id, input.expiresAt);
            return {
              binding: updated,
              role,
              change: { action: 'authz.binding.updated', before: existing.expiresAt },
              version: await roles.policyVersion(),
            };
          }
          const binding = await roles
            .insertBinding({
              tenantId,
              id: this.ids.newId(),
              subjectId,
              subjectKind,
              roleId: role.id,
              scope: scopeOf(resource),
              expiresAt: input.expiresAt,
              createdAt: now,
            })
            .catch((error: unknown) => {
              // The role went away meanwhile (foreign key violation).
              if ((error as { code?: unknown }).code === '23503') throw roleNotFound(input.role);
              throw error;
            });
          return {
            binding,
            role,
            change: { action: 'authz.binding.created', before: undefined },
            version: await roles.policyVersion(),
          };
        });
        const { binding, role, change } = result;
        if (change !== undefined) {
          await this.audit.append([
            changeEvent(this.ids, actor, context, now, change.action, target(binding), {
              subjectId: binding.subjectId,
              subjectKind: binding.subjectKind,
              role: role.name,
              resource: resourceOf(binding),
              expireTime: binding.expiresAt?.toISOString() ?? null,
              ...(change.action === 'authz.binding.updated'
                ? { beforeExpireTime: change.before?.toISOString() ?? null }
                : {}),
            }),
          ]);
          this.changes.changed({ tenantId, version: result.version });
        }
        return { binding, role: role.name };
      },
    );
  }

  /**
   * Removes a binding named by id, or by subject + role (+ resource). Removing the last
   * tenant-wide owner binding without expiry is refused (LAST_OWNER). ROLE_BINDING_NOT_FOUND,
   * ROLE_NOT_FOUND.
   */
  async revoke(actor: Actor, input: RevokeRoleInput, context: AuditContext = {}): Promise<void> {
    const tenantId = actor.tenantId;
    const byId = input.bindingId !== '';
    const bySubject = input.subjectId !== '' || input.role !== '';
    if (byId === bySubject) {
      throw new InvalidArgumentError(
        'binding_id',
        'give either binding_id, or subject_id and role (and resource)',
      );
    }
    const bindingId = byId ? parseUuid('binding_id', input.bindingId) : undefined;
    const subjectId = byId ? undefined : parseUuid('subject_id', input.subjectId);
    const resource =
      byId || input.resource === '' ? undefined : parseResource('resource', input.resource);
    const now = this.clock.now();
    const caller = await this.pdp.subjectOf(actor.principal);
    await this.atomically(
      actor,
      context,
      {
        action: 'authz.binding.revoked',
        target: { type: 'role_binding', id: bindingId ?? subjectId ?? '' },
      },
      async () => {
        const { binding, role, version } = await this.uow.inTenant(tenantId, async ({ roles }) => {
          await roles.bumpPolicyVersion();
          const found = await this.findBinding(roles, bindingId, subjectId, input.role, resource);
          const bound = await roles.findRoleById(found.roleId);
          if (bound === undefined) throw bindingNotFound();
          // Taking a role away needs what assigning it needs: an admin does not unseat an owner.
          assertHolds(
            caller,
            closureOf(tenantId, await roles.listRoles(), bound),
            now,
            `role "${bound.name}"`,
          );
          await assertOwnerRemains(roles, found, bound, undefined);
          if (!(await roles.deleteBinding(found.id))) throw bindingNotFound();
          return { binding: found, role: bound, version: await roles.policyVersion() };
        });
        await this.audit.append([
          changeEvent(this.ids, actor, context, now, 'authz.binding.revoked', target(binding), {
            subjectId: binding.subjectId,
            subjectKind: binding.subjectKind,
            role: role.name,
            resource: resourceOf(binding),
            expireTime: binding.expiresAt?.toISOString() ?? null,
          }),
        ]);
        this.changes.changed({ tenantId, version });
      },
    );
  }

  /** Bindings of the tenant by id, optionally of one subject and/or one role. */
  async list(
    actor: Actor,
    input: {
      readonly subjectId: string;
      readonly role: string;
      readonly pageSize: number;
      readonly after: string | undefined;
    },
  ): Promise<Page<BindingView>> {
    const subjectId = input.subjectId === '' ? undefined : parseUuid('subject_id', input.subjectId);
    const after = input.after === undefined ? undefined : parseUuid('page.page_token', input.after);
    const query = pageQuery('page', input.pageSize, after);
    return this.uow.inTenant(actor.tenantId, async ({ roles }) => {
      const role = input.role === '' ? undefined : await resolveRole(roles, 'role', input.role);
      const page = await roles.listBindings({ subjectId, roleId: role?.id }, query);
      const names = new Map(
        (await roles.findRolesByIds([...new Set(page.items.map((b) => b.roleId))])).map((r) => [
          r.id.toLowerCase(),
          r.name,
        ]),
      );
      return {
        items: page.items.map((binding) => ({
          binding,
          role: names.get(binding.roleId.toLowerCase()) ?? binding.roleId,
        })),
        nextAfter: page.nextAfter,
      };
    });
  }

  private async findBinding(
    roles: RoleRepository,
    bindingId: string | undefined,
    subjectId: string | undefined,
    rawRole: string,
    resource: string | undefined,
  ): Promise<RoleBinding> {
    if (bindingId !== undefined) {
      const found = await roles.findBindingById(bindingId);
      if (found === undefined) throw bindingNotFound();
      return found;
    }
    const role = await resolveRole(roles, 'role', rawRole);
    const found = await roles.findBinding(subjectId ?? '', role.id, resource);
    if (found === undefined) throw bindingNotFound();
    return found;
  }
}

const target = (binding: RoleBinding): { type: string; id: string } => ({
  type: 'role_binding',
  id: binding.id,
});
