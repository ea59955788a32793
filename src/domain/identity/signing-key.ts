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
}
