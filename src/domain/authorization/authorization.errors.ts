import { DomainError } from '../shared/errors.js';

export const authenticationRequired = (): DomainError =>
  new DomainError(
    'unauthenticated',
    'AUTHENTICATION_REQUIRED',
    'a bearer access token is required',
  );

export const permissionDenied = (permission: string): DomainError =>
  new DomainError('permission_denied', 'PERMISSION_DENIED', `missing permission "${permission}"`, {
    permission,
  });

export const crossTenantForbidden = (): DomainError =>
  new DomainError(
    'permission_denied',
    'CROSS_TENANT_FORBIDDEN',
    'x-tenant-id: only platform principals may act in another tenant',
    { field: 'x-tenant-id' },
  );

/** Role names are unique within a tenant (never compared across tenants). */
export const roleNameTaken = (name: string): DomainError =>
  new DomainError('already_exists', 'ROLE_NAME_TAKEN', `a role named "${name}" already exists`, {
    name,
  });
