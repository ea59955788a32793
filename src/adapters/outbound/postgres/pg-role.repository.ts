import type { Knex } from 'knex';

import { roleNameTaken } from '../../../domain/authorization/authorization.errors.js';
import type {
  BindingCount,
  BindingFilter,
  RoleRepository,
} from '../../../domain/authorization/role.repository.port.js';
import {
  TENANT_SCOPE,
  type Role,
  type RoleBinding,
  type SubjectKind,
} from '../../../domain/authorization/role.js';
import { pageFrom, type Page, type PageQuery } from '../../../domain/shared/page.js';
import { isUniqueViolation } from './pg-errors.js';
import { SCHEMA, TABLE } from './pg-schema.js';

interface RoleRow {
  tenant_id: string;
  id: string;
  name: string;
  description: string;
  permissions: string[];
  inherits: string[];
  system: boolean;
  created_at: Date;
  updated_at: Date;
}

interface RoleBindingRow {
  tenant_id: string;
  id: string;
  subject_id: string;
  subject_kind: SubjectKind;
  role_id: string;
  resource: string | null;
  expires_at: Date | null;
  created_at: Date;
}

const toRole = (row: RoleRow): Role => ({
  tenantId: row.tenant_id,
  id: row.id,
  name: row.name,
  description: row.description,
  permissions: row.permissions,
  inherits: row.inherits,
  system: row.system,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const toBinding = (row: RoleBindingRow): RoleBinding => ({
  tenantId: row.tenant_id,
  id: row.id,
  subjectId: row.subject_id,
  subjectKind: row.subject_kind,
  roleId: row.role_id,
  scope: row.resource === null ? TENANT_SCOPE : { kind: 'resource', resource: row.resource },
  expiresAt: row.expires_at ?? undefined,
  createdAt: row.created_at,
});

const toBindingRow = (binding: RoleBinding): RoleBindingRow => ({
  tenant_id: binding.tenantId,
  id: binding.id,
  subject_id: binding.subjectId,
  subject_kind: binding.subjectKind,
  role_id: binding.roleId,
  resource: binding.scope.kind === 'resource' ? binding.scope.resource : null,
  expires_at: binding.expiresAt ?? null,
  created_at: binding.createdAt,
});

/** The role's inherited ids in their order, as one column of the role's row. */
const INHERITS = `coalesce((select array_agg(i.inherited_role_id::text order by i.position)
    from ${TABLE.roleInherits} i where i.tenant_id = r.tenant_id and i.role_id = r.id),
  '{}'::text[]) as inherits`;

const CURRENT_TENANT = `(select ${SCHEMA}.app_current_tenant())`;

/**
 * Roles, their inherits links and bindings of the transaction's tenant (row-level security
 * decides visibility). The policy version is bumped by the tables' triggers on every write.
 */
export class PgRoleRepository implements RoleRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  /**
   * One statement per role, so a name conflict names its role: with row-level security on, the
   * server leaves the key out of the violation's detail (it never shows other rows' values).
   */
  async insertRoles(roles: readonly Role[]): Promise<void> {
    for (const role of roles) {
      try {
        await this.db(TABLE.roles).insert({
          tenant_id: role.tenantId,
          id: role.id,
          name: role.name,
          description: role.description,
          permissions: [...role.permissions],
          system: role.system,
          created_at: role.createdAt,
          updated_at: role.updatedAt,
        });
      } catch (error) {
        if (isUniqueViolation(error, 'roles_tenant_name_key')) throw roleNameTaken(role.name);
        throw error;
      }
      await this.insertInherits(role);
    }
  }

  async findRoleById(id: string): Promise<Role | undefined> {
    const [row] = await this.roles().where('r.id', id);
    return row === undefined ? undefined : toRole(row);
  }

  async findRoleByName(name: string): Promise<Role | undefined> {
    const [row] = await this.roles().where('r.name', name);
    return row === undefined ? undefined : toRole(row);
  }

  async findRolesByIds(ids: readonly string[]): Promise<Role[]> {
    if (ids.length === 0) return [];
    const rows = await this.roles().whereIn('r.id', [...new Set(ids)]);
    return rows.map(toRole);
  }

  async listRoles(): Promise<Role[]> {
    const rows = await this.roles().orderBy('r.name', 'asc');
    return rows.map(toRole);
  }

  async listRolesPage(query: PageQuery): Promise<Page<Role>> {
    const builder = this.roles()
      .orderBy('r.name', 'asc')
      .limit(query.limit + 1);
    if (query.after !== undefined) void builder.where('r.name', '>', query.after);
    const rows = await builder;
    return pageFrom(rows.map(toRole), query.limit, (role) => role.name);
  }

  async updateRole(role: Role): Promise<boolean> {
    const updated = await this.db(TABLE.roles)
      .where({ id: role.id })
      .update({
        description: role.description,
        permissions: [...role.permissions],
        updated_at: role.updatedAt,
      });
    if (updated === 0) return false;
    const current = await this.db(TABLE.roleInherits)
      .where({ role_id: role.id })
      .orderBy('position', 'asc')
      .pluck('inherited_role_id');
    const same =
      current.length === role.inherits.length &&
      current.every((id, index) => id === role.inherits[index]?.toLowerCase());
    if (!same) {
      await this.db(TABLE.roleInherits).where({ role_id: role.id }).delete();
      await this.insertInherits(role);
    }
    return true;
  }

  async deleteRole(id: string): Promise<boolean> {
    // Bindings and inherits links (both ways) go with it: ON DELETE CASCADE.
    const deleted = await this.db(TABLE.roles).where({ id }).delete();
    return deleted > 0;
  }

  async rolesInheriting(roleId: string): Promise<Role[]> {
    const rows = await this.roles()
      .whereRaw(
        `exists (select 1 from ${TABLE.roleInherits} l
                  where l.tenant_id = r.tenant_id and l.role_id = r.id and l.inherited_role_id = ?)`,
        [roleId],
      )
      .orderBy('r.name', 'asc');
    return rows.map(toRole);
  }

  async insertBinding(binding: RoleBinding): Promise<RoleBinding> {
    const inserted = (await this.db(TABLE.roleBindings)
      .insert(toBindingRow(binding))
      .onConflict()
      .ignore()
      .returning('*')) as RoleBindingRow[];
    const [row] = inserted;
    if (row !== undefined) return toBinding(row);
    const resource = binding.scope.kind === 'resource' ? binding.scope.resource : undefined;
    const existing = await this.findBinding(binding.subjectId, binding.roleId, resource);
    if (existing === undefined) {
      // Not the (subject, role, resource) key: the id itself was taken.
      throw new Error(`role binding ${binding.id} exists already`);
    }
    return existing;
  }

  async findBindingById(id: string): Promise<RoleBinding | undefined> {
    const row = await this.db<RoleBindingRow>(TABLE.roleBindings).where({ id }).first();
    return row === undefined ? undefined : toBinding(row);
  }

  async findBinding(
    subjectId: string,
    roleId: string,
    resource: string | undefined,
  ): Promise<RoleBinding | undefined> {
    const row = await this.db<RoleBindingRow>(TABLE.roleBindings)
      .where({ subject_id: subjectId, role_id: roleId })
      .whereRaw("coalesce(resource, '') = ?", [resource ?? ''])
      .first();
    return row === undefined ? undefined : toBinding(row);
  }

  async updateBindingExpiry(id: string, expiresAt: Date | undefined): Promise<boolean> {
    const updated = await this.db(TABLE.roleBindings)
      .where({ id })
      .update({ expires_at: expiresAt ?? null });
    return updated > 0;
  }

  async deleteBinding(id: string): Promise<boolean> {
    return (await this.db(TABLE.roleBindings).where({ id }).delete()) > 0;
  }

  async listBindings(filter: BindingFilter, query: PageQuery): Promise<Page<RoleBinding>> {
    const builder = this.db<RoleBindingRow>(TABLE.roleBindings)
      .select('*')
      .orderBy('id', 'asc')
      .limit(query.limit + 1);
    if (filter.subjectId !== undefined) void builder.where('subject_id', filter.subjectId);
    if (filter.roleId !== undefined) void builder.where('role_id', filter.roleId);
    if (query.after !== undefined) void builder.where('id', '>', query.after);
    const rows = await builder;
    return pageFrom(rows.map(toBinding), query.limit, (binding) => binding.id);
  }

  async bindingsOf(subjectId: string): Promise<RoleBinding[]> {
    const rows = await this.db<RoleBindingRow>(TABLE.roleBindings)
      .select('*')
      .where({ subject_id: subjectId })
      .orderBy('id', 'asc');
    return rows.map(toBinding);
  }

  async countBindingsOfRole(roleId: string, which: BindingCount = {}): Promise<number> {
    const builder = this.db(TABLE.roleBindings).where({ role_id: roleId });
    if (which.tenantWideOnly === true) void builder.whereNull('resource');
    if (which.activeAt !== undefined) {
      const at = which.activeAt;
      void builder.where((active) => {
        void active.whereNull('expires_at').orWhere('expires_at', '>', at);
      });
    }
    const rows: { n: string | number }[] = await builder.count({ n: '*' });
    return Number(rows[0]?.n ?? 0);
  }

  async roleNamesOf(subjectId: string, at?: Date): Promise<string[]> {
    const rows = (await this.db(`${TABLE.roleBindings} as b`)
      .join(`${TABLE.roles} as r`, function joinRole() {
        this.on('r.tenant_id', '=', 'b.tenant_id').andOn('r.id', '=', 'b.role_id');
      })
      .where('b.subject_id', subjectId)
      .whereNull('b.resource')
      .whereRaw('(b.expires_at is null or b.expires_at > coalesce(?::timestamptz, now()))', [
        at ?? null,
      ])
      .distinct('r.name')
      .orderBy('r.name', 'asc')) as { name: string }[];
    return rows.map((row) => row.name);
  }

  async bumpPolicyVersion(): Promise<number> {
    const result = await this.db.raw<{ rows: { version: string }[] }>(
      `insert into ${TABLE.tenantPolicyVersions} as v (tenant_id, version)
         values (${CURRENT_TENANT}, 1)
         on conflict (tenant_id) do update set version = v.version + 1, updated_at = now()
         returning version`,
    );
    return Number(result.rows[0]?.version);
  }

  async policyVersion(): Promise<number> {
    const rows: { version: string }[] = await this.db(TABLE.tenantPolicyVersions)
      .whereRaw(`tenant_id = ${CURRENT_TENANT}`)
      .select('version');
    return rows[0] === undefined ? 0 : Number(rows[0].version);
  }

  private roles(): Knex.QueryBuilder<RoleRow, RoleRow[]> {
    return this.db<RoleRow, RoleRow[]>(`${TABLE.roles} as r`).select('r.*', this.db.raw(INHERITS));
  }

  private async insertInherits(role: Role): Promise<void> {
    if (role.inherits.length === 0) return;
    await this.db(TABLE.roleInherits).insert(
      role.inherits.map((inheritedId, position) => ({
        tenant_id: role.tenantId,
        role_id: role.id,
        inherited_role_id: inheritedId,
        position,
      })),
    );
  }
}
