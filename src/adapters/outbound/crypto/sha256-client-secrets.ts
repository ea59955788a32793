import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

import type { ClientSecrets } from '../../../domain/identity/client-secrets.port.js';
import { formatClientId } from '../../../domain/identity/service-account.js';

const SECRET_PREFIX = 'sas_';

/**
 * Service-account secrets: 32 random bytes (base64url), stored as SHA-256. A 256-bit random
 * secret does not need a slow password hash: its digest cannot be reversed by guessing, so a
 * plain digest with a constant-time comparison (as for API keys) is enough and keeps token
 * issuance cheap.
 */
export class Sha256ClientSecrets implements ClientSecrets {
  newClientId(tenantId: string): string {
    return formatClientId(tenantId, randomBytes(16).toString('base64url'));
  }

  newSecret(): string {
    return `${SECRET_PREFIX}${randomBytes(32).toString('base64url')}`;
  }

  digest(secret: string): string {
    return createHash('sha256').update(secret, 'utf8').digest('hex');
  }

  matches(storedDigest: string, secret: string): boolean {
    const expected = Buffer.from(storedDigest, 'hex');
    const actual = createHash('sha256').update(secret, 'utf8').digest();
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }
}
