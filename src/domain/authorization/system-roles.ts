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
    ],
  },
  {
    name: 'member',
    description: 'Read own profile and sessions',
    permissions: ['tenant:read', 'profile:read', 'sessions:read-own'],
  },
];

const byName = new Map(SYSTEM_ROLES.map((role) => [role.name, role]));

export const systemRole = (name: string): SystemRoleDefinition | undefined => byName.get(name);

/** The rows that give a new tenant its system roles. */
export function systemRolesFor(tenantId: string, newId: () => string, now: Date): Role[] {
  return SYSTEM_ROLES.map((role) => ({
    tenantId,
    id: newId(),
    name: role.name,
    description: role.description,
    permissions: role.permissions,
    system: true,
    createdAt: now,
  }));
}
