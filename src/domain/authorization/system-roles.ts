import { PLATFORM_TENANT_ID } from '../shared/platform-tenant.js';
import type { Role } from './role.js';

/** Roles every tenant has from its creation; they cannot be deleted. */
export interface SystemRoleDefinition {
  readonly name: string;
  readonly description: string;
  readonly permissions: readonly string[];
}

export const PLATFORM_ADMIN_PERMISSION = 'platform:admin';

export const SYSTEM_ROLES: readonly SystemRoleDefinition[] = [
  { name: 'owner', description: 'Everything, including ownership and billing', permissions: ['*'] },
  {
    name: 'admin',
    description: 'Everything but ownership transfer and billing',
    permissions: [
      'tenant:read',
      'tenant:write',
      'users:*',
      'roles:*',
      'sessions:*',
      'service-accounts:*',
      'identity-providers:*',
      'webhooks:*',
      'audit:read',
      'authz:check',
      'idempotency:*',
    ],
  },
  {
    name: 'member',
    description: 'Read own profile and sessions',
    permissions: ['tenant:read', 'profile:read', 'sessions:read-own'],
  },
];

/** In the platform tenant, owners and admins also operate the platform. */
const PLATFORM_EXTRAS: Readonly<Record<string, readonly string[]>> = {
  owner: ['platform:*'],
  admin: [PLATFORM_ADMIN_PERMISSION],
};

/** The permissions of a system role in a given tenant; undefined for other role names. */
export function systemRolePermissions(
  tenantId: string,
  name: string,
): readonly string[] | undefined {
  const role = SYSTEM_ROLES.find((candidate) => candidate.name === name);
  if (role === undefined) return undefined;
  const extras = tenantId === PLATFORM_TENANT_ID ? (PLATFORM_EXTRAS[name] ?? []) : [];
  return [...role.permissions, ...extras];
}

/** The rows that give a new tenant its system roles. */
export function systemRolesFor(tenantId: string, newId: () => string, now: Date): Role[] {
  return SYSTEM_ROLES.map((role) => ({
    tenantId,
    id: newId(),
    name: role.name,
    description: role.description,
    permissions: systemRolePermissions(tenantId, role.name) ?? role.permissions,
    inherits: [],
    system: true,
    createdAt: now,
    updatedAt: now,
  }));
}
