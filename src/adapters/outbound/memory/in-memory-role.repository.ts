import { roleNameTaken } from '../../../domain/authorization/authorization.errors.js';
import type { RoleRepository } from '../../../domain/authorization/role.repository.port.js';
import type { Role, RoleBinding } from '../../../domain/authorization/role.js';
import { foreignKeyViolation, rlsViolation, rowKey, uniqueViolation } from './memory-database.js';
import type { MemoryTransaction } from './memory-transaction.js';

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Roles and bindings of the scope's tenant, as the `roles` and `role_bindings` policies allow. */
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
          tables.roles.set(key, { ...role, permissions: [...role.permissions] });
        }
      });
    });
  }

  findRoleByName(name: string): Promise<Role | undefined> {
    return run(() =>
      this.tx.read((tables) => this.visibleRoles(tables.roles).find((role) => role.name === name)),
    );
  }

  listRoles(): Promise<Role[]> {
    return run(() =>
      this.tx.read((tables) =>
        this.visibleRoles(tables.roles).sort((a, b) => byName(a.name, b.name)),
      ),
    );
  }

  /** Binding a subject to a role it already has is a no-op. */
  insertBinding(binding: RoleBinding): Promise<void> {
    const scope = this.scopeTenantId;
    return run(() => {
      this.tx.write((tables) => {
        const tenantId = binding.tenantId.toLowerCase();
        if (tenantId !== scope) throw rlsViolation('role_bindings');
        const duplicate = [...tables.roleBindings.values()].some(
          (other) =>
            other.tenantId.toLowerCase() === tenantId &&
            other.subjectId.toLowerCase() === binding.subjectId.toLowerCase() &&
            other.roleId.toLowerCase() === binding.roleId.toLowerCase(),
        );
        if (duplicate) return;
        const key = rowKey(tenantId, binding.id);
        if (tables.roleBindings.has(key)) throw uniqueViolation('role_bindings_pkey');
        // Foreign keys are checked across tenants' visibility, but on (tenant_id, role_id).
        if (!tables.roles.has(rowKey(tenantId, binding.roleId))) {
          throw foreignKeyViolation('role_bindings', 'role_bindings_role_fkey');
        }
        tables.roleBindings.set(key, { ...binding });
      });
    });
  }

  roleNamesOf(subjectId: string): Promise<string[]> {
    return run(() =>
      this.tx.read((tables) => {
        const names = new Set<string>();
        for (const binding of tables.roleBindings.values()) {
          if (binding.tenantId.toLowerCase() !== this.scopeTenantId) continue;
          if (binding.subjectId.toLowerCase() !== subjectId.toLowerCase()) continue;
          const role = tables.roles.get(rowKey(binding.tenantId, binding.roleId));
          if (role !== undefined) names.add(role.name);
        }
        return [...names].sort(byName);
      }),
    );
  }

  private visibleRoles(roles: ReadonlyMap<string, Role>): Role[] {
    return [...roles.values()].filter((role) => role.tenantId.toLowerCase() === this.scopeTenantId);
  }
}

const run = <T>(statement: () => T): Promise<T> =>
  new Promise((resolve) => {
    resolve(statement());
  });
