import type { AccessTokenVerifier } from '../../domain/identity/access-token.port.js';
import { invalidToken } from '../../domain/identity/identity.errors.js';
import type { Principal } from '../../domain/identity/principal.js';
import type { SessionLiveness } from '../../domain/identity/session-store.port.js';
import type { SubjectLiveness } from '../../domain/identity/subject-changes.port.js';
import { isTenantUsable } from '../../domain/tenancy/tenant.js';
import type { TenantDirectory } from '../../domain/tenancy/tenant-directory.port.js';

/**
 * Turns a bearer token into a principal: a valid signature is not enough, the token's tenant
 * must still exist and not be suspended, the session it names must not have ended, and its
 * subject must still be an active user or an existing service account (tokens without a
 * session included). These checks are served from memory on the hot path.
 */
export class TokenAuthenticator {
  constructor(
    private readonly verifier: AccessTokenVerifier,
    private readonly directory: TenantDirectory,
    /** When set, a token naming a session (`sid`) is refused once that session has ended. */
    private readonly sessions?: SessionLiveness,
    /** When set, a token of a disabled user or a deleted service account is refused. */
    private readonly subjects?: SubjectLiveness,
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
    if (this.subjects !== undefined) {
      const active = this.subjects.isActive(
        principal.tenantId,
        principal.kind,
        principal.subjectId,
      );
      if (active === false || (active !== true && !(await active))) {
        throw invalidToken('subject is disabled or deleted');
      }
    }
    return principal;
  }
}
