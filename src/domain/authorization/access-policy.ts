import { permissionCovers } from './permission.js';
import { systemRolePermissions } from './system-roles.js';

/**
 * Whether roles held in a tenant grant a permission. Only system roles carry permissions until
 * custom roles and the compiled engine exist; an unknown role name grants nothing.
 */
export function rolesGrant(
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
