import { crossTenantForbidden } from '../../domain/authorization/authorization.errors.js';
import type { Principal } from '../../domain/identity/principal.js';
import { parseUuid } from '../../domain/shared/uuid.js';
import { tenantNotFound } from '../../domain/tenancy/tenancy.errors.js';
import type { TenantDirectory } from '../../domain/tenancy/tenant-directory.port.js';
import type { Actor } from '../shared/actor.js';
import { isPlatformOperator } from '../shared/platform-operator.js';

/**
 * Decides the tenant a call acts in: the principal's own, or, for platform operators only,
 * the one they name. Anyone else naming a different tenant is refused, not silently confined.
 */
export class ActingTenantResolver {
  constructor(private readonly directory: TenantDirectory) {}

  async run(principal: Principal, requestedTenantId: string | undefined): Promise<Actor> {
    if (requestedTenantId === undefined) return { principal, tenantId: principal.tenantId };
    const tenantId = parseUuid('x-tenant-id', requestedTenantId);
    if (tenantId === principal.tenantId) return { principal, tenantId };
    if (!isPlatformOperator(principal)) throw crossTenantForbidden();
    if ((await this.directory.byId(tenantId)) === undefined) throw tenantNotFound();
    return { principal, tenantId };
  }
}
