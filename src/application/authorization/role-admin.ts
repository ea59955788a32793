import type { AuditEvent } from '../../domain/audit/audit-event.js';
import type { AuditLog } from '../../domain/audit/audit-log.port.js';
import {
  inheritanceCycle,
  roleClosureTooLarge,
  roleInUse,
  roleNameTaken,
  roleNotFound,
  systemRoleImmutable,
  tooManyRoles,
} from '../../domain/authorization/authorization.errors.js';
import { compileTenantPolicy } from '../../domain/authorization/compile-tenant-policy.js';
import { parsePermission, PLATFORM_NAMESPACE } from '../../domain/authorization/permission.js';
import type { PolicyChanges } from '../../domain/authorization/policy-changes.port.js';
import type { CompiledSubject } from '../../domain/authorization/policy-engine.js';
import type { Role } from '../../domain/authorization/role.js';
import { findInheritanceCycle } from '../../domain/authorization/role-graph.js';
import { SYSTEM_ROLES } from '../../domain/authorization/system-roles.js';
import type { RoleRepository } from '../../domain/authorization/role.repository.port.js';
import type { Clock } from '../../domain/shared/clock.port.js';
import { DomainError, InvalidArgumentError } from '../../domain/shared/errors.js';
import type { IdGenerator } from '../../domain/shared/id-generator.port.js';
import { pageQuery, type Page } from '../../domain/shared/page.js';
import { PLATFORM_TENANT_ID } from '../../domain/shared/platform-tenant.js';
import type { JoinedTransactions } from '../../domain/shared/request-transactions.port.js';
import type { UnitOfWork } from '../../domain/shared/unit-of-work.port.js';
import { isUuid } from '../../domain/shared/uuid.js';
import type { Actor } from '../shared/actor.js';
import { actingFrom, auditActorOf, type AuditContext } from '../shared/audit-context.js';
import type { PolicyDecisionPoint } from './policy-decision-point.js';

export const MAX_ROLE_PERMISSIONS = 1_000;
export const MAX_ROLE_INHERITS = 100;
/** Custom roles per tenant (system roles not counted). */
export const MAX_TENANT_ROLES = 1_000;
/** Distinct permissions in one role's closure (own and inherited). */
export const MAX_ROLE_CLOSURE_PERMISSIONS = 10_000;

/** What the role write path refuses beyond (README, Authorization); tests pass smaller ones. */
export interface RoleLimits {
  readonly maxTenantRoles: number;
  readonly maxClosurePermissions: number;
}
const MAX_DESCRIPTION = 1_000;
/** Binding ids a force delete's audit event lists (the count says how many there were). */
const MAX_LISTED_BINDINGS = 20;
const ROLE_NAME = /^[a-z0-9_-]{1,63}$/;

/** A role with the names of the roles it inherits (what the contract shows). */
export interface RoleView {
  readonly role: Role;
  readonly inherits: readonly string[];
}

/** `[a-z0-9_-]{1,63}`, and not shaped like a UUID (role references accept either). */
export function parseRoleName(field: string, raw: string): string {
  if (!ROLE_NAME.test(raw) || isUuid(raw)) {
    throw new InvalidArgumentError(
      field,
      `"${raw.slice(0, 100)}" is not a role name (1-63 of [a-z0-9_-], not a UUID)`,
    );
  }
  return raw;
}

/** A role of the scope's tenant named by id or name; ROLE_NOT_FOUND naming it otherwise. */
export async function resolveRole(
  roles: RoleRepository,
  field: string,
  raw: string,
): Promise<Role> {
  if (raw === '') throw new InvalidArgumentError(field, 'is required');
  const role = isUuid(raw)
    ? await roles.findRoleById(raw.toLowerCase())
    : ROLE_NAME.test(raw)
      ? await roles.findRoleByName(raw)
      : undefined;
  if (role === undefined) throw roleNotFound(raw);
  return role;
}

/** The names of the roles `role` inherits, in order. */
export async function inheritsNames(roles: RoleRepository, role: Role): Promise<string[]> {
  const found = await roles.findRolesByIds(role.inherits);
  const names = new Map(found.map((other) => [other.id.toLowerCase(), other.name]));
  return role.inherits.map((id) => names.get(id.toLowerCase()) ?? id);
}

/**
 * The namespaces of WeMaster Core's own permissions (those of the system roles, plus what only
 * owners hold: billing and ownership). Other namespaces belong to the tenant's business.
 */
const CORE_NAMESPACES: ReadonlySet<string> = new Set([
  ...SYSTEM_ROLES.flatMap((role) => role.permissions)
    .filter((permission) => permission !== '*')
    .map((permission) => permission.slice(0, permission.indexOf(':'))),
  'billing',
  'ownership',
  'platform',
]);

const governsCore = (permission: string): boolean =>
  permission === '*' || CORE_NAMESPACES.has(permission.slice(0, permission.indexOf(':')));

/**
 * Nobody hands out power over WeMaster Core they do not hold: every granted permission in a
 * core namespace (users, roles, tenant, billing... and `*`) must be covered by the caller's
 * own, in its own tenant. A tenant admin cannot mint an owner-like role nor assign `owner`;
 * business permissions (documents:write...) are the admins' to define and hand out.
 */
export function assertHolds(
  caller: CompiledSubject,
  granted: readonly string[],
  now: Date,
  what: string,
): void {
  const missing = granted.find(
    (permission) => governsCore(permission) && !caller.decide(permission, undefined, now).allowed,
  );
  if (missing !== undefined) {
    throw new DomainError(
      'permission_denied',
      'PERMISSION_ESCALATION',
      `${what} grants "${missing}", which you do not hold yourself`,
      { permission: missing },
    );
  }
}

/**
 * Every permission a role holds with what it inherits, given the tenant's roles (sorted,
 * deduplicated): one walk of the roles it reaches (closures do not depend on the time).
 */
export function closureOf(
  tenantId: string,
  roles: readonly Role[],
  role: Role,
  _now?: Date,
): string[] {
  return compileTenantPolicy(tenantId, roles).closurePermissions(role.id) ?? [];
}

/**
 * The changed role's closure, once every closure it grows (its own and those of the roles
 * inheriting it) is within `limit`: ROLE_CLOSURE_TOO_LARGE naming the first one over it. Each
 * walk stops past the limit, so an oversized graph costs no more than the limit to refuse.
 */
export function checkedClosureOf(
  tenantId: string,
  roles: readonly Role[],
  role: Role,
  limit: number,
): string[] {
  const policy = compileTenantPolicy(tenantId, roles);
  const names = new Map(roles.map((other) => [other.id, other.name]));
  const own = policy.closurePermissions(role.id, limit) ?? [];
  if (own.length > limit) throw roleClosureTooLarge(role.name, limit);
  for (const id of policy.topmostInheritors(role.id)) {
    if (id === role.id) continue;
    if ((policy.closurePermissions(id, limit)?.length ?? 0) > limit) {
      throw roleClosureTooLarge(names.get(id) ?? id, limit);
    }
  }
  return own;
}

export interface RoleInput {
  readonly description: string;
  readonly permissions: readonly string[];
  readonly inherits: readonly string[];
}

export interface CreateRoleInput extends RoleInput {
  readonly name: string;
}

export interface UpdateRoleInput extends RoleInput {
  /** Role id or name. */
  readonly role: string;
}

function parseDescription(raw: string): string {
  if (raw.length > MAX_DESCRIPTION) {
    throw new InvalidArgumentError('description', `at most ${String(MAX_DESCRIPTION)} characters`);
  }
  return raw;
}

function parsePermissions(tenantId: string, raw: readonly string[]): string[] {
  if (raw.length > MAX_ROLE_PERMISSIONS) {
    throw new InvalidArgumentError(
      'permissions',
      `at most ${String(MAX_ROLE_PERMISSIONS)} permissions per role (got ${String(raw.length)})`,
    );
  }
  const seen = new Set<string>();
  raw.forEach((permission, index) => {
    const field = `permissions[${String(index)}]`;
    parsePermission(field, permission);
    if (permission.startsWith(PLATFORM_NAMESPACE) && tenantId !== PLATFORM_TENANT_ID) {
      throw new InvalidArgumentError(
        field,
        `"${permission}": platform permissions exist only in the platform tenant`,
      );
    }
    seen.add(permission);
  });
  return [...seen];
}

function checkInheritsCount(raw: readonly string[]): void {
  if (raw.length > MAX_ROLE_INHERITS) {
    throw new InvalidArgumentError(
      'inherits',
      `at most ${String(MAX_ROLE_INHERITS)} inherited roles (got ${String(raw.length)})`,
    );
  }
}

/** Ids of the named roles (by id or name), deduplicated in order; NOT_FOUND naming the first unknown. */
async function resolveInherits(roles: RoleRepository, raw: readonly string[]): Promise<Role[]> {
  const resolved: Role[] = [];
  for (const [index, reference] of raw.entries()) {
    const role = await resolveRole(roles, `inherits[${String(index)}]`, reference);
    if (!resolved.some((other) => other.id === role.id)) resolved.push(role);
  }
  return resolved;
}

const summaryOf = (role: Role, inherits: readonly string[]): string =>
  JSON.stringify({
    description: role.description,
    permissions: role.permissions,
    inherits,
  });

/** What a refused change would have been, for its `denied` audit event. */
export interface RefusedChange {
  readonly action: string;
  readonly target: { readonly type: string; readonly id: string };
}

const REFUSALS: ReadonlySet<string> = new Set(['PERMISSION_ESCALATION', 'LAST_OWNER']);

/** What running an authorization change needs (RoleAdmin and BindingAdmin both have it). */
export interface ChangeRunner {
  readonly transactions: JoinedTransactions;
  readonly pdp: PolicyDecisionPoint;
  readonly ids: IdGenerator;
  readonly clock: Clock;
}

/**
 * The change, its audit event and (after commit) its announcement, all or nothing, in one
 * transaction joining the request's. A refused privileged change leaves a `denied` event.
 */
export async function changeAtomically<T>(
  runner: ChangeRunner,
  actor: Actor,
  context: AuditContext,
  refused: RefusedChange,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await runner.transactions.run(actor.tenantId, work, () => Promise.resolve());
  } catch (error) {
    recordRefusal(runner.pdp, runner.ids, actor, context, runner.clock.now(), refused, error);
    throw error;
  }
}

/**
 * A privileged change refused (PERMISSION_ESCALATION, LAST_OWNER) leaves a `denied` audit
 * event, recorded off the request path (the change's transaction rolled back).
 */
function recordRefusal(
  pdp: PolicyDecisionPoint,
  ids: IdGenerator,
  actor: Actor,
  context: AuditContext,
  now: Date,
  refused: RefusedChange,
  error: unknown,
): void {
  if (!(error instanceof DomainError) || !REFUSALS.has(error.code)) return;
  pdp.recordRefused({
    ...changeEvent(
      ids,
      actor,
      context,
      now,
      refused.action,
      { ...refused.target },
      {
        reason: error.code,
        message: error.message.slice(0, 500),
      },
    ),
    outcome: 'denied',
  });
}

/** Shared by the role and binding use cases: one audit entry about an authorization change. */
export function changeEvent(
  ids: IdGenerator,
  actor: Actor,
  context: AuditContext,
  at: Date,
  action: string,
  target: { type: string; id: string },
  details: Record<string, string | number | boolean | null>,
): AuditEvent {
  return {
    tenantId: actor.tenantId,
    id: ids.newId(),
    occurredAt: at,
    actor: auditActorOf(actor, context),
    action,
    target,
    outcome: 'success',
    details: { ...actingFrom(actor, actor.tenantId), ...details },
  };
}

/**
 * Custom roles of the acting tenant: create, replace, delete, read. Every change bumps the
 * tenant's policy version in its transaction (which also serializes changes to one tenant's
 * policy), is audited, and is announced to every replica once committed.
 */
export class RoleAdmin {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly pdp: PolicyDecisionPoint,
    private readonly changes: PolicyChanges,
    private readonly audit: AuditLog,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
    /** One transaction around each change and its audit event (joining the request's). */
    private readonly transactions: JoinedTransactions,
    limits: Partial<RoleLimits> = {},
  ) {
    this.limits = {
      maxTenantRoles: limits.maxTenantRoles ?? MAX_TENANT_ROLES,
      maxClosurePermissions: limits.maxClosurePermissions ?? MAX_ROLE_CLOSURE_PERMISSIONS,
    };
  }

  private readonly limits: RoleLimits;

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
   * Failures: INVALID_ARGUMENT (name, description, permissions naming the bad one, inherits),
   * ROLE_NOT_FOUND (an inherited role), ROLE_NAME_TAKEN, PERMISSION_ESCALATION,
   * ROLE_LIMIT_EXCEEDED (the tenant has `MAX_TENANT_ROLES` custom roles),
   * ROLE_CLOSURE_TOO_LARGE (over `MAX_ROLE_CLOSURE_PERMISSIONS` distinct permissions).
   */
  async create(
    actor: Actor,
    input: CreateRoleInput,
    context: AuditContext = {},
  ): Promise<RoleView> {
    const tenantId = actor.tenantId;
    const name = parseRoleName('name', input.name);
    const description = parseDescription(input.description);
    const permissions = parsePermissions(tenantId, input.permissions);
    checkInheritsCount(input.inherits);
    const caller = await this.pdp.subjectOf(actor.principal);
    const now = this.clock.now();
    return this.atomically(
      actor,
      context,
      { action: 'authz.role.created', target: { type: 'role', id: name } },
      async () => {
        const { view, version } = await this.uow.inTenant(tenantId, async ({ roles }) => {
          await roles.bumpPolicyVersion();
          if ((await roles.findRoleByName(name)) !== undefined) throw roleNameTaken(name);
          const inherited = await resolveInherits(roles, input.inherits);
          const role: Role = {
            tenantId,
            id: this.ids.newId(),
            name,
            description,
            permissions,
            inherits: inherited.map((other) => other.id),
            system: false,
            createdAt: now,
            updatedAt: now,
          };
          const existing = await roles.listRoles();
          const custom = existing.filter((other) => !other.system).length;
          if (custom >= this.limits.maxTenantRoles) throw tooManyRoles(this.limits.maxTenantRoles);
          const all = [...existing, role];
          const cycle = findInheritanceCycle(all, role.id);
          if (cycle !== undefined) throw inheritanceCycle(cycle);
          const closure = checkedClosureOf(tenantId, all, role, this.limits.maxClosurePermissions);
          assertHolds(caller, closure, now, `role "${name}"`);
          await roles.insertRoles([role]);
          return {
            view: { role, inherits: inherited.map((other) => other.name) },
            version: await roles.policyVersion(),
          };
        });
        await this.audit.append([
          changeEvent(this.ids, actor, context, now, 'authz.role.created', target(view.role), {
            name,
            after: summaryOf(view.role, view.inherits),
          }),
        ]);
        this.changes.changed({ tenantId, version });
        return view;
      },
    );
  }

  /**
   * Replaces description, permissions and inherits. Failures: as `create` (but the role
   * count), plus SYSTEM_ROLE_IMMUTABLE and ROLE_INHERITANCE_CYCLE (naming the cycle,
   * `a -> b -> a`); ROLE_CLOSURE_TOO_LARGE also names a role inheriting this one that the
   * change would take over the limit.
   */
  async update(
    actor: Actor,
    input: UpdateRoleInput,
    context: AuditContext = {},
  ): Promise<RoleView> {
    const tenantId = actor.tenantId;
    const description = parseDescription(input.description);
    const permissions = parsePermissions(tenantId, input.permissions);
    checkInheritsCount(input.inherits);
    const caller = await this.pdp.subjectOf(actor.principal);
    const now = this.clock.now();
    return this.atomically(
      actor,
      context,
      { action: 'authz.role.updated', target: { type: 'role', id: input.role } },
      async () => {
        const { view, before, version } = await this.uow.inTenant(tenantId, async ({ roles }) => {
          await roles.bumpPolicyVersion();
          const current = await resolveRole(roles, 'role', input.role);
          if (current.system) throw systemRoleImmutable(current.name);
          const inherited = await resolveInherits(roles, input.inherits);
          const role: Role = {
            ...current,
            description,
            permissions,
            inherits: inherited.map((other) => other.id),
            updatedAt: now,
          };
          const stored = await roles.listRoles();
          // Rewriting a role needs what it grants now as well as what it will grant.
          assertHolds(caller, closureOf(tenantId, stored, current), now, `role "${current.name}"`);
          const all = stored.map((other) => (other.id === role.id ? role : other));
          const cycle = findInheritanceCycle(all, role.id);
          if (cycle !== undefined) throw inheritanceCycle(cycle);
          const closure = checkedClosureOf(tenantId, all, role, this.limits.maxClosurePermissions);
          assertHolds(caller, closure, now, `role "${role.name}"`);
          const previous = summaryOf(current, await inheritsNames(roles, current));
          if (!(await roles.updateRole(role))) throw roleNotFound(input.role);
          return {
            view: { role, inherits: inherited.map((other) => other.name) },
            before: previous,
            version: await roles.policyVersion(),
          };
        });
        await this.audit.append([
          changeEvent(this.ids, actor, context, now, 'authz.role.updated', target(view.role), {
            name: view.role.name,
            before,
            after: summaryOf(view.role, view.inherits),
          }),
        ]);
        this.changes.changed({ tenantId, version });
        return view;
      },
    );
  }

  /**
   * Deletes a custom role. Refused (ROLE_IN_USE) while it is bound or inherited, unless
   * `force`, which removes those bindings and links with it. SYSTEM_ROLE_IMMUTABLE for system
   * roles, ROLE_NOT_FOUND.
   */
  async delete(
    actor: Actor,
    input: { readonly role: string; readonly force: boolean },
    context: AuditContext = {},
  ): Promise<void> {
    const tenantId = actor.tenantId;
    const now = this.clock.now();
    const caller = await this.pdp.subjectOf(actor.principal);
    await this.atomically(
      actor,
      context,
      { action: 'authz.role.deleted', target: { type: 'role', id: input.role } },
      async () => {
        const { role, bindings, bindingIds, before, inheritedBy, version } =
          await this.uow.inTenant(tenantId, async ({ roles }) => {
            await roles.bumpPolicyVersion();
            const found = await resolveRole(roles, 'role', input.role);
            if (found.system) throw systemRoleImmutable(found.name);
            // Deleting a role takes what it grants away from its holders: only one who holds it.
            assertHolds(
              caller,
              closureOf(tenantId, await roles.listRoles(), found),
              now,
              `role "${found.name}"`,
            );
            const count = await roles.countBindingsOfRole(found.id);
            const removed = await roles.listBindings(
              { roleId: found.id },
              { limit: MAX_LISTED_BINDINGS, after: undefined },
            );
            const previous = summaryOf(found, await inheritsNames(roles, found));
            const inheriting = (await roles.rolesInheriting(found.id)).map((other) => other.name);
            if (!input.force && (count > 0 || inheriting.length > 0)) {
              throw roleInUse(found.name, count, inheriting);
            }
            await roles.deleteRole(found.id);
            return {
              role: found,
              bindings: count,
              bindingIds: removed.items.map((binding) => binding.id),
              before: previous,
              inheritedBy: inheriting,
              version: await roles.policyVersion(),
            };
          });
        await this.audit.append([
          changeEvent(this.ids, actor, context, now, 'authz.role.deleted', target(role), {
            name: role.name,
            force: input.force,
            removedBindings: bindings,
            removedBindingIds: bindingIds.join(','),
            removedInheritedBy: inheritedBy.join(','),
            before,
          }),
        ]);
        this.changes.changed({ tenantId, version });
      },
    );
  }

  async get(actor: Actor, rawRole: string): Promise<RoleView> {
    return this.uow.inTenant(actor.tenantId, async ({ roles }) => {
      const role = await resolveRole(roles, 'role', rawRole);
      return { role, inherits: await inheritsNames(roles, role) };
    });
  }

  /** The tenant's roles by name, page by page (system roles included). */
  async list(
    actor: Actor,
    input: { readonly pageSize: number; readonly after: string | undefined },
  ): Promise<Page<RoleView>> {
    const after =
      input.after === undefined ? undefined : parseRoleName('page.page_token', input.after);
    const query = pageQuery('page', input.pageSize, after);
    return this.uow.inTenant(actor.tenantId, async ({ roles }) => {
      const page = await roles.listRolesPage(query);
      const ids = [...new Set(page.items.flatMap((role) => role.inherits))];
      const names = new Map(
        (await roles.findRolesByIds(ids)).map((role) => [role.id.toLowerCase(), role.name]),
      );
      return {
        items: page.items.map((role) => ({
          role,
          inherits: role.inherits.map((id) => names.get(id.toLowerCase()) ?? id),
        })),
        nextAfter: page.nextAfter,
      };
    });
  }
}

const target = (role: Role): { type: string; id: string } => ({ type: 'role', id: role.id });
