/** Publishes the public halves of the token signing keys, for verifiers outside this service. */
export interface JwksProvider {
  /** The JWK Set (RFC 7517) as JSON: public parts only, every key that may still verify a token. */
  publishedKeys(): Promise<string>;
}
