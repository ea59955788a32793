import { permissionCovers } from '../../src/domain/authorization/permission.js';
import { type Role, type RoleBinding, TENANT_SCOPE } from '../../src/domain/authorization/role.js';
import { systemRolePermissions } from '../../src/domain/authorization/system-roles.js';
import { CREATED_AT, TENANT_A_ID } from './tenant.mother.js';
import { USER_ID } from './user.mother.js';

export const ROLE_ID = '0d000000-0000-4000-8000-00000000000d';
export const BINDING_ID = '0e000000-0000-4000-8000-00000000000e';

/** The system role "admin" of tenant A. */
export function aRole(overrides: Partial<Role> = {}): Role {
  return {
    tenantId: TENANT_A_ID,
    id: ROLE_ID,
    name: 'admin',
    description: 'Everything but ownership transfer and billing',
    permissions: ['tenant:read', 'users:*'],
    inherits: [],
    system: true,
    createdAt: CREATED_AT,
    updatedAt: CREATED_AT,
    ...overrides,
  };
}

/** Binds `aUser()` to `aRole()`. */
export function aRoleBinding(overrides: Partial<RoleBinding> = {}): RoleBinding {
  return {
    tenantId: TENANT_A_ID,
    id: BINDING_ID,
    subjectId: USER_ID,
    subjectKind: 'user',
    roleId: ROLE_ID,
    scope: TENANT_SCOPE,
    expiresAt: undefined,
    createdAt: CREATED_AT,
    ...overrides,
  };
}

/**
 * What system roles named in a token grant, the way the engine would for a subject bound to
 * them tenant-wide: a stand-in for the engine in unit tests of other use cases.
 */
export function systemRolesGrant(
  tenantId: string,
  roles: readonly string[],
  permission: string,
): boolean {
  return roles.some((name) =>
    (systemRolePermissions(tenantId, name) ?? []).some((granted) =>
      permissionCovers(granted, permission),
    ),
  );
}
