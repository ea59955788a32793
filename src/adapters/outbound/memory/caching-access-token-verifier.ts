import type { AccessTokenVerifier } from '../../../domain/identity/access-token.port.js';
import type { Principal } from '../../../domain/identity/principal.js';
import type { Clock } from '../../../domain/shared/clock.port.js';

interface Verified {
  readonly token: string;
  readonly principal: Principal;
}

/**
 * The last segment of a JWS (its signature): as unique as the token and a seventh of its
 * length. A fresh header string is hashed on every lookup, so the shorter key is the cheaper
 * one; the whole token is still compared before a remembered answer is used.
 */
const lookupKeyOf = (token: string): string => token.slice(token.lastIndexOf('.') + 1);

/**
 * Remembers tokens whose signature and claims were verified, until they expire, so a service
 * presenting the same token on every call pays for one signature check, not one per call.
 * A remembered answer is used only for the identical token: any altered byte misses and is
 * verified in full. Failures are not remembered. Bounded by `maxEntries`, oldest out first.
 */
export class CachingAccessTokenVerifier implements AccessTokenVerifier {
  private readonly verified = new Map<string, Verified>();

  constructor(
    private readonly inner: AccessTokenVerifier,
    private readonly clock: Clock,
    private readonly maxEntries = 10_000,
  ) {}

  async verify(token: string): Promise<Principal> {
    const key = lookupKeyOf(token);
    const cached = this.verified.get(key);
    if (cached?.token === token) {
      if (cached.principal.expiresAt.getTime() > this.clock.now().getTime()) {
        return cached.principal;
      }
      this.verified.delete(key);
    }
    const principal = await this.inner.verify(token);
    this.verified.set(key, { token, principal });
    if (this.verified.size > this.maxEntries) {
      const oldest = this.verified.keys().next();
      if (oldest.done !== true) this.verified.delete(oldest.value);
    }
    return principal;
  }
}
