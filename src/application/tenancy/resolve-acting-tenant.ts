import { crossTenantForbidden } from '../../domain/authorization/authorization.errors.js';
import { PLATFORM_ADMIN_PERMISSION } from '../../domain/authorization/system-roles.js';
import type { Principal } from '../../domain/identity/principal.js';
import { PLATFORM_TENANT_ID } from '../../domain/shared/platform-tenant.js';
import { parseUuid } from '../../domain/shared/uuid.js';
import { tenantNotFound } from '../../domain/tenancy/tenancy.errors.js';
import type { TenantDirectory } from '../../domain/tenancy/tenant-directory.port.js';
import type { Actor } from '../shared/actor.js';
import type { PermissionHolder } from '../shared/permission-holder.js';

/**
 * Decides the tenant a call acts in: the principal's own, or, for platform operators only,
 * the one they name. Anyone else naming a different tenant is refused, not silently confined.
 * Operator status comes from the engine's current policy, so a demoted operator loses it at
 * once, not when their token expires.
 */
export class ActingTenantResolver {
  constructor(
    private readonly directory: TenantDirectory,
    private readonly permissions: PermissionHolder,
  ) {}

  async run(principal: Principal, requestedTenantId: string | undefined): Promise<Actor> {
    const platformOperator =
      principal.tenantId === PLATFORM_TENANT_ID &&
      (await this.permissions.holds(principal, PLATFORM_ADMIN_PERMISSION));
    if (requestedTenantId === undefined) {
      return { principal, tenantId: principal.tenantId, platformOperator };
    }
    const tenantId = parseUuid('x-tenant-id', requestedTenantId);
    if (tenantId === principal.tenantId) return { principal, tenantId, platformOperator };
    if (!platformOperator) throw crossTenantForbidden();
    if ((await this.directory.byId(tenantId)) === undefined) throw tenantNotFound();
    return { principal, tenantId, platformOperator };
  }
}
