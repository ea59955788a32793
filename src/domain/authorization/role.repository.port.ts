import type { Page, PageQuery } from '../shared/page.js';
import type { Role, RoleBinding } from './role.js';

/** Which bindings to list; an absent field matches any. */
export interface BindingFilter {
  readonly subjectId?: string | undefined;
  readonly roleId?: string | undefined;
}

/** Which bindings of a role to count. */
export interface BindingCount {
  /** Only tenant-wide bindings (not resource-scoped ones). */
  readonly tenantWideOnly?: boolean;
  /** Only bindings unexpired at this instant. */
  readonly activeAt?: Date | undefined;
}

/**
 * Roles and bindings of the unit of work's tenant. Every write to roles, their inherits links
 * or bindings also bumps the tenant's policy version in the same transaction (whoever writes).
 */
export interface RoleRepository {
  /** Throws ROLE_NAME_TAKEN naming the role when its name exists in the tenant. */
  insertRoles(roles: readonly Role[]): Promise<void>;
  findRoleById(id: string): Promise<Role | undefined>;
  findRoleByName(name: string): Promise<Role | undefined>;
  /** The roles among `ids` that exist (any order). */
  findRolesByIds(ids: readonly string[]): Promise<Role[]>;
  /** Every role of the tenant, by name. */
  listRoles(): Promise<Role[]>;
  /** One page of roles by name; `after` is the last name of the previous page. */
  listRolesPage(query: PageQuery): Promise<Page<Role>>;
  /**
   * Writes description, permissions, inherits and updatedAt of an existing role (name, system
   * flag and creation time are fixed); false when there is no such role.
   */
  updateRole(role: Role): Promise<boolean>;
  /**
   * Deletes a role with its bindings and every inherits link naming it (from or to); false when
   * there is no such role.
   */
  deleteRole(id: string): Promise<boolean>;
  /** The roles whose inherits name `roleId`, by name. */
  rolesInheriting(roleId: string): Promise<Role[]>;

  /**
   * Inserts a binding and returns it, or returns the existing binding of the same subject,
   * role and resource (unchanged) when there is one.
   */
  insertBinding(binding: RoleBinding): Promise<RoleBinding>;
  findBindingById(id: string): Promise<RoleBinding | undefined>;
  /** The binding of `subjectId` to `roleId` on `resource` (undefined = tenant-wide). */
  findBinding(
    subjectId: string,
    roleId: string,
    resource: string | undefined,
  ): Promise<RoleBinding | undefined>;
  /** Changes when a binding expires; false when there is no such binding. */
  updateBindingExpiry(id: string, expiresAt: Date | undefined): Promise<boolean>;
  /** false when there is no such binding. */
  deleteBinding(id: string): Promise<boolean>;
  /** Bindings matching `filter`, by id; `after` is the last id of the previous page. */
  listBindings(filter: BindingFilter, query: PageQuery): Promise<Page<RoleBinding>>;
  /** Every binding of a subject (expired ones included), by id. */
  bindingsOf(subjectId: string): Promise<RoleBinding[]>;
  countBindingsOfRole(roleId: string, which?: BindingCount): Promise<number>;
  /**
   * Names of the roles bound to a subject tenant-wide and unexpired at `at` (default: now),
   * sorted: the informational `roles` claim of tokens.
   */
  roleNamesOf(subjectId: string, at?: Date): Promise<string[]>;

  /**
   * Bumps the tenant's policy version and returns the new one. Also locks it until the
   * transaction ends: concurrent changes to the tenant's policy wait for each other.
   */
  bumpPolicyVersion(): Promise<number>;
  /** The tenant's policy version (0 before any change). */
  policyVersion(): Promise<number>;
}
