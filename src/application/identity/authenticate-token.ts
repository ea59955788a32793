import type { AccessTokenVerifier } from '../../domain/identity/access-token.port.js';
import { invalidToken } from '../../domain/identity/identity.errors.js';
import type { Principal } from '../../domain/identity/principal.js';
import { isTenantUsable } from '../../domain/tenancy/tenant.js';
import type { TenantDirectory } from '../../domain/tenancy/tenant-directory.port.js';

/**
 * Turns a bearer token into a principal: a valid signature is not enough, the token's tenant
 * must still exist and not be suspended. Both checks are served from memory on the hot path.
 */
export class TokenAuthenticator {
  constructor(
    private readonly verifier: AccessTokenVerifier,
    private readonly directory: TenantDirectory,
  ) {}

  async run(token: string): Promise<Principal> {
    const principal = await this.verifier.verify(token);
    const tenant = await this.directory.byId(principal.tenantId);
    if (tenant === undefined || !isTenantUsable(tenant.status)) {
      throw invalidToken('tenant is not active');
    }
    return principal;
  }
}
