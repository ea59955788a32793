import type { Role, RoleBinding } from './role.js';

/** Roles and bindings of the unit of work's tenant. */
export interface RoleRepository {
  insertRoles(roles: readonly Role[]): Promise<void>;
  findRoleByName(name: string): Promise<Role | undefined>;
  listRoles(): Promise<Role[]>;
  insertBinding(binding: RoleBinding): Promise<void>;
  /** Names of the roles bound to a subject, sorted. */
  roleNamesOf(subjectId: string): Promise<string[]>;
}
