/** A token signing key pair. The private half is only ever stored sealed. */
export interface SigningKey {
  readonly kid: string;
  readonly algorithm: 'EdDSA';
  /** Public JWK as JSON (with kid, alg, use). */
  readonly publicJwk: Readonly<Record<string, unknown>>;
  /** Private JWK, sealed by the SecretBox. */
  readonly sealedPrivateJwk: Uint8Array;
  readonly createdAt: Date;
  /** No new tokens after this; the public key stays published until tokens it signed expire. */
  readonly retiredAt: Date | undefined;
  /**
   * Published at once, but signs only from this instant (undefined: from its creation), so that
   * every cached JWKS has seen a key before any token names it.
   */
  readonly activatesAt?: Date | undefined;
}

/** Whether a key may sign at `now`: activated, and not (yet) retired. */
export const maySign = (key: Pick<SigningKey, 'activatesAt' | 'retiredAt'>, now: Date): boolean =>
  (key.activatesAt === undefined || key.activatesAt.getTime() <= now.getTime()) &&
  (key.retiredAt === undefined || key.retiredAt.getTime() > now.getTime());
