import { createHash, randomBytes } from 'node:crypto';

import type { OneTimeSecrets } from '../../../domain/identity/one-time-secrets.port.js';

/** 256-bit secrets from the system CSPRNG, stored as their SHA-256 (no salt needed: random). */
export class RandomOneTimeSecrets implements OneTimeSecrets {
  newSecret(): string {
    return randomBytes(32).toString('base64url');
  }

  hash(secret: string): Uint8Array {
    return createHash('sha256').update(secret, 'utf8').digest();
  }
}
