import { createHash } from 'node:crypto';

import type { Sha256 } from '../../../domain/audit/audit-chain.js';

/** SHA-256 of the concatenated parts, hex: the audit chain's hash, by node:crypto. */
export const sha256Hex: Sha256 = (parts) => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
};
