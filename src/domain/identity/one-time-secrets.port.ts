/** Secrets of one-time tokens: generated with 256 bits of randomness, stored hashed. */
export interface OneTimeSecrets {
  /** A fresh secret (base64url, 43 characters). */
  newSecret(): string;
  /** The digest stored and looked up instead of the secret (32 bytes). */
  hash(secret: string): Uint8Array;
}
