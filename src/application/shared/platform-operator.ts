import type { Actor } from './actor.js';
import { rolesGrant } from '../../domain/authorization/access-policy.js';
import { PLATFORM_ADMIN_PERMISSION } from '../../domain/authorization/system-roles.js';
import type { Principal } from '../../domain/identity/principal.js';
import { PLATFORM_TENANT_ID } from '../../domain/shared/platform-tenant.js';

/**
 * A principal that may reach into tenants other than its own: one of the platform tenant's,
 * holding `platform:admin` there. Being in the platform tenant alone is not enough.
 */
export const isPlatformOperator = (principal: Principal): boolean =>
  principal.tenantId === PLATFORM_TENANT_ID &&
  rolesGrant(PLATFORM_TENANT_ID, principal.roles, PLATFORM_ADMIN_PERMISSION);

/** Whether the actor may touch this tenant: its own, or any when it is a platform operator. */
export const mayReach = (actor: Actor, tenantId: string): boolean =>
  tenantId === actor.principal.tenantId || isPlatformOperator(actor.principal);
