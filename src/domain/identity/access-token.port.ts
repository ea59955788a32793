import type { Principal } from './principal.js';

export interface AccessTokenClaims {
  readonly subjectId: string;
  readonly tenantId: string;
  readonly kind: Principal['kind'];
  readonly roles: readonly string[];
  readonly sessionId: string | undefined;
  /** Authentication methods (RFC 8176), e.g. `pwd`, `otp`. */
  readonly amr: readonly string[];
}

export interface IssuedAccessToken {
  readonly token: string;
  readonly expiresAt: Date;
}

export interface AccessTokenIssuer {
  issue(claims: AccessTokenClaims): Promise<IssuedAccessToken>;
}

export interface AccessTokenVerifier {
  /** Throws `INVALID_TOKEN` (unauthenticated) for anything but a valid, current token. */
  verify(token: string): Promise<Principal>;
}
