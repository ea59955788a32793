export interface ParsedRefreshToken {
  readonly tenantId: string;
  /** SHA-256 of the secret part: what the store keeps. */
  readonly hash: Uint8Array;
}

/** Makes and reads opaque refresh tokens that name their tenant. */
export interface RefreshTokenCodec {
  /** The token for a refresh-token id (the same id always gives the same token) and its hash. */
  issue(tenantId: string, tokenId: string): { token: string; hash: Uint8Array };
  /** Undefined for anything this codec did not make. */
  parse(token: string): ParsedRefreshToken | undefined;
}
