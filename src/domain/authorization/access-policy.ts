import { permissionCovers } from './permission.js';
import { systemRole } from './system-roles.js';

/**
 * Whether roles grant a permission. Only system roles carry permissions until custom roles
 * and the compiled engine exist; an unknown role name grants nothing.
 */
export function rolesGrant(roles: readonly string[], permission: string): boolean {
  return roles.some((name) =>
    (systemRole(name)?.permissions ?? []).some((granted) => permissionCovers(granted, permission)),
  );
}
