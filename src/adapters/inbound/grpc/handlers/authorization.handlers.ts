import type { AuthorizationServiceServer } from '../generated/wemaster/core/v1/authorization.js';
import type { AsyncService } from '../unary-handler.js';
import { notImplemented } from './not-implemented.js';

export function authorizationHandlers(): AsyncService<AuthorizationServiceServer> {
  return {
    check: () => notImplemented('Check'),
    checkMany: () => notImplemented('CheckMany'),
    listPermissions: () => notImplemented('ListPermissions'),
    createRole: () => notImplemented('CreateRole'),
    updateRole: () => notImplemented('UpdateRole'),
    deleteRole: () => notImplemented('DeleteRole'),
    getRole: () => notImplemented('GetRole'),
    listRoles: () => notImplemented('ListRoles'),
    assignRole: () => notImplemented('AssignRole'),
    revokeRole: () => notImplemented('RevokeRole'),
    listRoleBindings: () => notImplemented('ListRoleBindings'),
  };
}
