import type { AccessTokenVerifier } from '../../../domain/identity/access-token.port.js';
import type { Principal } from '../../../domain/identity/principal.js';
import type { Clock } from '../../../domain/shared/clock.port.js';

/**
 * Remembers tokens whose signature and claims were verified, until they expire, so a service
 * presenting the same token on every call pays for one signature check, not one per call.
 * The key is the whole token: any altered byte misses and is verified in full. Failures are
 * not remembered. Bounded by `maxEntries`, oldest out first.
 */
export class CachingAccessTokenVerifier implements AccessTokenVerifier {
  private readonly verified = new Map<string, Principal>();

  constructor(
    private readonly inner: AccessTokenVerifier,
    private readonly clock: Clock,
    private readonly maxEntries = 10_000,
  ) {}

  async verify(token: string): Promise<Principal> {
    const cached = this.verified.get(token);
    if (cached !== undefined) {
      if (cached.expiresAt.getTime() > this.clock.now().getTime()) return cached;
      this.verified.delete(token);
    }
    const principal = await this.inner.verify(token);
    this.verified.set(token, principal);
    if (this.verified.size > this.maxEntries) {
      const oldest = this.verified.keys().next();
      if (oldest.done !== true) this.verified.delete(oldest.value);
    }
    return principal;
  }
}
