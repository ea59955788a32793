import type { AccessTokenVerifier } from '../../domain/identity/access-token.port.js';
import { invalidToken } from '../../domain/identity/identity.errors.js';
import type { Principal } from '../../domain/identity/principal.js';
import type { SessionLiveness } from '../../domain/identity/session-store.port.js';
import { isTenantUsable } from '../../domain/tenancy/tenant.js';
import type { TenantDirectory } from '../../domain/tenancy/tenant-directory.port.js';

/**
 * Turns a bearer token into a principal: a valid signature is not enough, the token's tenant
 * must still exist and not be suspended, and the session it names must not have ended. These
 * checks are served from memory on the hot path.
 */
export class TokenAuthenticator {
  constructor(
    private readonly verifier: AccessTokenVerifier,
    private readonly directory: TenantDirectory,
    /** When set, a token naming a session (`sid`) is refused once that session has ended. */
    private readonly sessions?: SessionLiveness,
  ) {}

  async run(token: string): Promise<Principal> {
    const principal = await this.verifier.verify(token);
    const tenant = await this.directory.byId(principal.tenantId);
    if (tenant === undefined || !isTenantUsable(tenant.status)) {
      throw invalidToken('tenant is not active');
    }
    const { sessionId } = principal;
    if (sessionId !== undefined && this.sessions !== undefined) {
      // Usually a plain boolean from memory; a promise only for a session not seen lately.
      const live = this.sessions.isLive(principal.tenantId, sessionId);
      if (live === false || (live !== true && !(await live))) {
        throw invalidToken('session has ended');
      }
    }
    return principal;
  }
}
