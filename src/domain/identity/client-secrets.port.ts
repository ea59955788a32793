/** Client credentials of service accounts: generation, digest and constant-time comparison. */
export interface ClientSecrets {
  /** A fresh client id for the tenant (see `formatClientId`). */
  newClientId(tenantId: string): string;
  /** A fresh 256-bit random secret, text-encoded. */
  newSecret(): string;
  digest(secret: string): string;
  /** Constant-time comparison of a presented secret with a stored digest. */
  matches(storedDigest: string, secret: string): boolean;
}
