import { roleNameTaken } from '../../../domain/authorization/authorization.errors.js';
import type {
  BindingCount,
  BindingFilter,
  RoleRepository,
} from '../../../domain/authorization/role.repository.port.js';
import type { Role, RoleBinding } from '../../../domain/authorization/role.js';
import { pageFrom, type Page, type PageQuery } from '../../../domain/shared/page.js';
import {
  MemoryDatabaseError,
  foreignKeyViolation,
  rlsViolation,
  rowKey,
  uniqueViolation,
  type MemoryTables,
} from './memory-database.js';
import type { MemoryTransaction } from './memory-transaction.js';

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();
const resourceOf = (binding: RoleBinding): string =>
  binding.scope.kind === 'resource' ? binding.scope.resource : '';

/** What the statement-level triggers of `roles`, `role_inherits` and `role_bindings` do. */
const bumpVersion = (tables: MemoryTables, tenantId: string): number => {
  const next = (tables.policyVersions.get(tenantId) ?? 0) + 1;
  tables.policyVersions.set(tenantId, next);
  return next;
};

/**
 * Roles and bindings of the scope's tenant, as the `roles`, `role_inherits` and
 * `role_bindings` policies allow; every write bumps the tenant's policy version like the
 * triggers do, and deleting a role cascades like the foreign keys.
 */
export class InMemoryRoleRepository implements RoleRepository {
  constructor(
    private readonly tx: MemoryTransaction,
    private readonly scopeTenantId: string,
  ) {}

  insertRoles(roles: readonly Role[]): Promise<void> {
    const scope = this.scopeTenantId;
    return run(() => {
      if (roles.length === 0) return;
      this.tx.write((tables) => {
        for (const role of roles) {
          const tenantId = role.tenantId.toLowerCase();
          if (tenantId !== scope) throw rlsViolation('roles');
          const key = rowKey(tenantId, role.id);
          if (tables.roles.has(key)) throw uniqueViolation('roles_pkey');
          const nameTaken = [...tables.roles.values()].some(
            (other) => other.tenantId.toLowerCase() === tenantId && other.name === role.name,
          );
          if (nameTaken) throw roleNameTaken(role.name);
          if (!tables.tenants.has(tenantId))
            throw foreignKeyViolation('roles', 'roles_tenant_fkey');
          checkInherits(tables, tenantId, role);
          tables.roles.set(key, copyRole(role));
        }
        bumpVersion(tables, scope);
      });
    });
  }

  findRoleById(id: string): Promise<Role | undefined> {
    return run(() =>
      this.tx.read((tables) => this.visibleRoles(tables).find((r) => same(r.id, id))),
    );
  }

  findRoleByName(name: string): Promise<Role | undefined> {
    return run(() =>
      this.tx.read((tables) => this.visibleRoles(tables).find((role) => role.name === name)),
    );
  }

  findRolesByIds(ids: readonly string[]): Promise<Role[]> {
    const wanted = new Set(ids.map((id) => id.toLowerCase()));
    return run(() =>
      this.tx.read((tables) =>
        this.visibleRoles(tables).filter((role) => wanted.has(role.id.toLowerCase())),
      ),
    );
  }

  listRoles(): Promise<Role[]> {
    return run(() =>
      this.tx.read((tables) => this.visibleRoles(tables).sort((a, b) => byText(a.name, b.name))),
    );
  }

  listRolesPage(query: PageQuery): Promise<Page<Role>> {
    const { after } = query;
    return run(() =>
      this.tx.read((tables) => {
        const rows = this.visibleRoles(tables)
          .filter((role) => after === undefined || role.name > after)
          .sort((a, b) => byText(a.name, b.name))
          .slice(0, query.limit + 1);
        return pageFrom(rows, query.limit, (role) => role.name);
      }),
    );
  }

  updateRole(role: Role): Promise<boolean> {
    const scope = this.scopeTenantId;
    return run(() => {
      const exists = this.tx.read((tables) => tables.roles.has(rowKey(scope, role.id)));
      if (!exists) return false;
      this.tx.write((tables) => {
        const key = rowKey(scope, role.id);
        const current = tables.roles.get(key);
        if (current === undefined) return;
        checkInherits(tables, scope, role);
        tables.roles.set(key, {
          ...current,
          description: role.description,
          permissions: [...role.permissions],
          inherits: role.inherits.map((id) => id.toLowerCase()),
          updatedAt: role.updatedAt,
        });
        bumpVersion(tables, scope);
      });
      return true;
    });
  }

  deleteRole(id: string): Promise<boolean> {
    const scope = this.scopeTenantId;
    return run(() => {
      const exists = this.tx.read((tables) => tables.roles.has(rowKey(scope, id)));
      if (!exists) return false;
      this.tx.write((tables) => {
        const key = rowKey(scope, id);
        if (!tables.roles.delete(key)) return;
        for (const [bindingKey, binding] of tables.roleBindings) {
          if (same(binding.tenantId, scope) && same(binding.roleId, id)) {
            tables.roleBindings.delete(bindingKey);
          }
        }
        for (const [roleKey, role] of tables.roles) {
          if (!same(role.tenantId, scope) || !role.inherits.some((other) => same(other, id))) {
            continue;
          }
          tables.roles.set(roleKey, {
            ...role,
            inherits: role.inherits.filter((other) => !same(other, id)),
          });
        }
        bumpVersion(tables, scope);
      });
      return true;
    });
  }

  rolesInheriting(roleId: string): Promise<Role[]> {
    return run(() =>
      this.tx.read((tables) =>
        this.visibleRoles(tables)
          .filter((role) => role.inherits.some((id) => same(id, roleId)))
          .sort((a, b) => byText(a.name, b.name)),
      ),
    );
  }

  insertBinding(binding: RoleBinding): Promise<RoleBinding> {
    const scope = this.scopeTenantId;
    return run(() => {
      const existing = this.tx.read((tables) => findSame(tables, scope, binding));
      if (existing !== undefined) return existing;
      this.tx.write((tables) => {
        const tenantId = binding.tenantId.toLowerCase();
        if (tenantId !== scope) throw rlsViolation('role_bindings');
        if (findSame(tables, scope, binding) !== undefined) return;
        const key = rowKey(tenantId, binding.id);
        if (tables.roleBindings.has(key)) throw uniqueViolation('role_bindings_pkey');
        // Foreign keys are checked across tenants' visibility, but on (tenant_id, role_id).
        if (!tables.roles.has(rowKey(tenantId, binding.roleId))) {
          throw foreignKeyViolation('role_bindings', 'role_bindings_role_fkey');
        }
        tables.roleBindings.set(key, { ...binding });
        bumpVersion(tables, scope);
      });
      return { ...binding };
    });
  }

  findBindingById(id: string): Promise<RoleBinding | undefined> {
    return run(() =>
      this.tx.read((tables) => this.visibleBindings(tables).find((b) => same(b.id, id))),
    );
  }

  findBinding(
    subjectId: string,
    roleId: string,
    resource: string | undefined,
  ): Promise<RoleBinding | undefined> {
    return run(() =>
      this.tx.read((tables) =>
        this.visibleBindings(tables).find(
          (b) =>
            same(b.subjectId, subjectId) &&
            same(b.roleId, roleId) &&
            resourceOf(b) === (resource ?? ''),
        ),
      ),
    );
  }

  updateBindingExpiry(id: string, expiresAt: Date | undefined): Promise<boolean> {
    const scope = this.scopeTenantId;
    return run(() => {
      const exists = this.tx.read((tables) => tables.roleBindings.has(rowKey(scope, id)));
      if (!exists) return false;
      this.tx.write((tables) => {
        const key = rowKey(scope, id);
        const current = tables.roleBindings.get(key);
        if (current === undefined) return;
        tables.roleBindings.set(key, { ...current, expiresAt });
        bumpVersion(tables, scope);
      });
      return true;
    });
  }

  deleteBinding(id: string): Promise<boolean> {
    const scope = this.scopeTenantId;
    return run(() => {
      const exists = this.tx.read((tables) => tables.roleBindings.has(rowKey(scope, id)));
      if (!exists) return false;
      this.tx.write((tables) => {
        tables.roleBindings.delete(rowKey(scope, id));
        bumpVersion(tables, scope);
      });
      return true;
    });
  }

  listBindings(filter: BindingFilter, query: PageQuery): Promise<Page<RoleBinding>> {
    const { after } = query;
    return run(() =>
      this.tx.read((tables) => {
        const rows = this.visibleBindings(tables)
          .filter(
            (b) =>
              (filter.subjectId === undefined || same(b.subjectId, filter.subjectId)) &&
              (filter.roleId === undefined || same(b.roleId, filter.roleId)) &&
              (after === undefined || b.id.toLowerCase() > after.toLowerCase()),
          )
          .sort((a, b) => byText(a.id.toLowerCase(), b.id.toLowerCase()))
          .slice(0, query.limit + 1);
        return pageFrom(rows, query.limit, (binding) => binding.id);
      }),
    );
  }

  bindingsOf(subjectId: string): Promise<RoleBinding[]> {
    return run(() =>
      this.tx.read((tables) =>
        this.visibleBindings(tables)
          .filter((b) => same(b.subjectId, subjectId))
          .sort((a, b) => byText(a.id.toLowerCase(), b.id.toLowerCase())),
      ),
    );
  }

  countBindingsOfRole(roleId: string, which: BindingCount = {}): Promise<number> {
    const { activeAt } = which;
    return run(() =>
      this.tx.read(
        (tables) =>
          this.visibleBindings(tables).filter(
            (b) =>
              same(b.roleId, roleId) &&
              (which.tenantWideOnly !== true || b.scope.kind === 'tenant') &&
              (activeAt === undefined ||
                b.expiresAt === undefined ||
                b.expiresAt.getTime() > activeAt.getTime()),
          ).length,
      ),
    );
  }

  roleNamesOf(subjectId: string, at: Date = new Date()): Promise<string[]> {
    return run(() =>
      this.tx.read((tables) => {
        const names = new Set<string>();
        for (const binding of this.visibleBindings(tables)) {
          if (!same(binding.subjectId, subjectId) || binding.scope.kind !== 'tenant') continue;
          if (binding.expiresAt !== undefined && binding.expiresAt.getTime() <= at.getTime()) {
            continue;
          }
          const role = tables.roles.get(rowKey(binding.tenantId, binding.roleId));
          if (role !== undefined) names.add(role.name);
        }
        return [...names].sort(byText);
      }),
    );
  }

  bumpPolicyVersion(): Promise<number> {
    const scope = this.scopeTenantId;
    return run(() => {
      let version = 0;
      this.tx.write((tables) => {
        if (!tables.tenants.has(scope)) {
          throw foreignKeyViolation('tenant_policy_versions', 'tenant_policy_versions_tenant_fkey');
        }
        version = bumpVersion(tables, scope);
      });
      return version;
    });
  }

  policyVersion(): Promise<number> {
    return run(() => this.tx.read((tables) => tables.policyVersions.get(this.scopeTenantId) ?? 0));
  }

  private visibleRoles(tables: MemoryTables): Role[] {
    return [...tables.roles.values()]
      .filter((role) => role.tenantId.toLowerCase() === this.scopeTenantId)
      .map(copyRole);
  }

  private visibleBindings(tables: MemoryTables): RoleBinding[] {
    return [...tables.roleBindings.values()].filter(
      (binding) => binding.tenantId.toLowerCase() === this.scopeTenantId,
    );
  }
}

function copyRole(role: Role): Role {
  return { ...role, permissions: [...role.permissions], inherits: [...role.inherits] };
}

/** The foreign keys of `role_inherits`: each inherited role exists in the same tenant, not itself. */
function checkInherits(tables: MemoryTables, tenantId: string, role: Role): void {
  for (const inherited of role.inherits) {
    if (same(inherited, role.id)) {
      throw new MemoryDatabaseError(
        '23514',
        'new row for relation "role_inherits" violates check constraint "role_inherits_not_self_check"',
      );
    }
    if (!tables.roles.has(rowKey(tenantId, inherited))) {
      throw foreignKeyViolation('role_inherits', 'role_inherits_inherited_fkey');
    }
  }
}

function findSame(
  tables: MemoryTables,
  scope: string,
  binding: RoleBinding,
): RoleBinding | undefined {
  return [...tables.roleBindings.values()].find(
    (other) =>
      other.tenantId.toLowerCase() === scope &&
      same(other.subjectId, binding.subjectId) &&
      same(other.roleId, binding.roleId) &&
      resourceOf(other) === resourceOf(binding),
  );
}

const run = <T>(statement: () => T): Promise<T> =>
  new Promise((resolve) => {
    resolve(statement());
  });
