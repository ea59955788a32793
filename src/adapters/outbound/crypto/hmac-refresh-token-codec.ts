import { createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type {
  ParsedRefreshToken,
  RefreshTokenCodec,
} from '../../../domain/identity/refresh-token-codec.port.js';
import { isUuid } from '../../../domain/shared/uuid.js';

const SECRET_BYTES = 32;
const ENCODED_SECRET_LENGTH = 43; // base64url of 32 bytes, unpadded
const MAX_TOKEN_LENGTH = 36 + 1 + ENCODED_SECRET_LENGTH;

/**
 * Refresh tokens `<tenantId>.<base64url(secret)>`, the secret a 256-bit HMAC-SHA-256 of the
 * token's id under a key derived (HKDF) from the master key for this purpose only. Only
 * SHA-256 of the secret is stored.
 *
 * Why derived rather than random-and-sealed: the grace window must hand a concurrent
 * refresher the successor token that was already issued. Derivation recomputes it from its
 * id, so no plaintext (not even sealed) is ever stored, there is no extra column to expire,
 * and a database dump alone yields nothing usable. The cost (a leaked master key lets one
 * compute live refresh tokens) is no new exposure: the same key already opens the signing
 * keys, which mint any access token. Secrets remain unguessable: 256 bits of PRF output.
 */
export class HmacRefreshTokenCodec implements RefreshTokenCodec {
  private readonly key: Buffer;

  constructor(masterKey: Uint8Array) {
    this.key = Buffer.from(
      hkdfSync('sha256', masterKey, Buffer.alloc(0), 'wemaster-core:refresh-token', 32),
    );
  }

  issue(tenantId: string, tokenId: string): { token: string; hash: Uint8Array } {
    const secret = createHmac('sha256', this.key)
      .update(`${tenantId.toLowerCase()}/${tokenId.toLowerCase()}`)
      .digest();
    return {
      token: `${tenantId.toLowerCase()}.${secret.toString('base64url')}`,
      hash: new Uint8Array(createHash('sha256').update(secret).digest()),
    };
  }

  parse(token: string): ParsedRefreshToken | undefined {
    const raw: unknown = token;
    if (typeof raw !== 'string' || token.length !== MAX_TOKEN_LENGTH) return undefined;
    const dot = token.indexOf('.');
    if (dot !== 36) return undefined;
    const tenantId = token.slice(0, dot).toLowerCase();
    const encoded = token.slice(dot + 1);
    if (!isUuid(tenantId) || !/^[A-Za-z0-9_-]{43}$/.test(encoded)) return undefined;
    const secret = Buffer.from(encoded, 'base64url');
    if (secret.length !== SECRET_BYTES || secret.toString('base64url') !== encoded)
      return undefined;
    return { tenantId, hash: new Uint8Array(createHash('sha256').update(secret).digest()) };
  }

  /** Whether a presented hash matches a stored one (constant time). */
  static sameHash(a: Uint8Array, b: Uint8Array): boolean {
    return a.length === b.length && timingSafeEqual(a, b);
  }
}
