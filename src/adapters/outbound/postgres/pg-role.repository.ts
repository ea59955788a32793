import type { Knex } from 'knex';

import { roleNameTaken } from '../../../domain/authorization/authorization.errors.js';
import type { RoleRepository } from '../../../domain/authorization/role.repository.port.js';
import type { Role, RoleBinding } from '../../../domain/authorization/role.js';
import { isUniqueViolation } from './pg-errors.js';
import { TABLE } from './pg-schema.js';

interface RoleRow {
  tenant_id: string;
  id: string;
  name: string;
  description: string;
  permissions: string[];
  system: boolean;
  created_at: Date;
}

interface RoleBindingRow {
  tenant_id: string;
  id: string;
  subject_id: string;
  role_id: string;
  created_at: Date;
}

const toRole = (row: RoleRow): Role => ({
  tenantId: row.tenant_id,
  id: row.id,
  name: row.name,
  description: row.description,
  permissions: row.permissions,
  inherits: [],
  system: row.system,
  createdAt: row.created_at,
  updatedAt: row.created_at,
});

/** Roles and bindings of the transaction's tenant (row-level security decides visibility). */
export class PgRoleRepository implements RoleRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  /**
   * One statement per role, so a name conflict names its role: with row-level security on, the
   * server leaves the key out of the violation's detail (it never shows other rows' values).
   */
  async insertRoles(roles: readonly Role[]): Promise<void> {
    for (const role of roles) {
      try {
        await this.db<RoleRow>(TABLE.roles).insert({
          tenant_id: role.tenantId,
          id: role.id,
          name: role.name,
          description: role.description,
          permissions: [...role.permissions],
          system: role.system,
          created_at: role.createdAt,
        });
      } catch (error) {
        if (isUniqueViolation(error, 'roles_tenant_name_key')) throw roleNameTaken(role.name);
        throw error;
      }
    }
  }

  async findRoleByName(name: string): Promise<Role | undefined> {
    const row = await this.db<RoleRow>(TABLE.roles).where({ name }).first();
    return row === undefined ? undefined : toRole(row);
  }

  async listRoles(): Promise<Role[]> {
    const rows = await this.db<RoleRow>(TABLE.roles).select('*').orderBy('name', 'asc');
    return rows.map(toRole);
  }

  /** Binding a subject to a role it already has is a no-op. */
  async insertBinding(binding: RoleBinding): Promise<void> {
    await this.db<RoleBindingRow>(TABLE.roleBindings)
      .insert({
        tenant_id: binding.tenantId,
        id: binding.id,
        subject_id: binding.subjectId,
        role_id: binding.roleId,
        created_at: binding.createdAt,
      })
      .onConflict(['tenant_id', 'subject_id', 'role_id'])
      .ignore();
  }

  async roleNamesOf(subjectId: string): Promise<string[]> {
    const rows = (await this.db(`${TABLE.roleBindings} as b`)
      .join(`${TABLE.roles} as r`, function joinRole() {
        this.on('r.tenant_id', '=', 'b.tenant_id').andOn('r.id', '=', 'b.role_id');
      })
      .where('b.subject_id', subjectId)
      .distinct('r.name')
      .orderBy('r.name', 'asc')) as { name: string }[];
    return rows.map((row) => row.name);
  }
}
