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

/** A role named by id or name that the tenant does not have (another tenant's is not visible). */
export const roleNotFound = (role: string): DomainError =>
  new DomainError('not_found', 'ROLE_NOT_FOUND', `no role "${role.slice(0, 100)}" in this tenant`, {
    role: role.slice(0, 100),
  });

export const subjectNotFound = (subjectId: string): DomainError =>
  new DomainError(
    'not_found',
    'SUBJECT_NOT_FOUND',
    `no user or service account "${subjectId}" in this tenant`,
    { subjectId },
  );

export const bindingNotFound = (): DomainError =>
  new DomainError('not_found', 'ROLE_BINDING_NOT_FOUND', 'no such role binding in this tenant');

/** owner, admin and member are fixed in every tenant. */
export const systemRoleImmutable = (name: string): DomainError =>
  new DomainError(
    'failed_precondition',
    'SYSTEM_ROLE_IMMUTABLE',
    `"${name}" is a system role: it cannot be changed or deleted`,
    { role: name },
  );

/** The change would make the inheritance graph cyclic; `cycle` names the roles along it. */
/** At most the first 10 roles of a cycle (a 200-role cycle would make a 13 KB message). */
const cyclePath = (cycle: readonly string[]): string =>
  cycle.length <= 10
    ? cycle.join(' -> ')
    : `${cycle.slice(0, 10).join(' -> ')} -> ... (${String(cycle.length)} roles)`;

export const inheritanceCycle = (cycle: readonly string[]): DomainError =>
  new DomainError(
    'failed_precondition',
    'ROLE_INHERITANCE_CYCLE',
    `the change would create an inheritance cycle: ${cyclePath(cycle)}`,
    { cycle: cyclePath(cycle) },
  );

export const roleInUse = (
  name: string,
  bindings: number,
  inheritedBy: readonly string[],
): DomainError =>
  new DomainError(
    'failed_precondition',
    'ROLE_IN_USE',
    `role "${name}" is bound ${String(bindings)} time(s) and inherited by ${
      inheritedBy.length === 0 ? 'no role' : inheritedBy.slice(0, 10).join(', ')
    }: delete with force to remove those links`,
    { role: name, bindings: String(bindings), inheritedBy: inheritedBy.slice(0, 10).join(',') },
  );

/** An owner always remains: the last tenant-wide owner binding without expiry stays. */
export const lastOwner = (): DomainError =>
  new DomainError(
    'failed_precondition',
    'LAST_OWNER',
    'this is the last tenant-wide owner binding without expiry: assign another owner first',
  );

/** A tenant has at most `limit` custom roles (system roles not counted). */
export const tooManyRoles = (limit: number): DomainError =>
  new DomainError(
    'failed_precondition',
    'ROLE_LIMIT_EXCEEDED',
    `this tenant already has ${String(limit)} custom roles, the most it may have: delete one first`,
    { limit: String(limit) },
  );

/**
 * A role holds at most `limit` distinct permissions, own and inherited; `role` is the one the
 * change would take over it (the changed role, or one inheriting it).
 */
export const roleClosureTooLarge = (role: string, limit: number): DomainError =>
  new DomainError(
    'failed_precondition',
    'ROLE_CLOSURE_TOO_LARGE',
    `the change would give role "${role}" more than ${String(limit)} distinct permissions (own and inherited)`,
    { role, limit: String(limit) },
  );
