import type { SigningKeyRepository } from '../../../domain/identity/signing-key.repository.port.js';
import type { SigningKey } from '../../../domain/identity/signing-key.js';
import { uniqueViolation } from './memory-database.js';

const copy = (key: SigningKey): SigningKey => ({
  ...key,
  publicJwk: structuredClone(key.publicJwk),
  sealedPrivateJwk: new Uint8Array(key.sealedPrivateJwk),
});

/** Platform-wide signing keys in memory (same semantics as `PgSigningKeyRepository`). */
export class InMemorySigningKeyRepository implements SigningKeyRepository {
  private readonly keys = new Map<string, SigningKey>();

  insert(key: SigningKey): Promise<void> {
    if (this.keys.has(key.kid)) return Promise.reject(uniqueViolation('signing_keys_pkey'));
    this.keys.set(key.kid, copy(key));
    return Promise.resolve();
  }

  listPublishable(since: Date): Promise<SigningKey[]> {
    const keys = [...this.keys.values()]
      .filter((key) => key.retiredAt === undefined || key.retiredAt.getTime() > since.getTime())
      .sort(
        (a, b) =>
          a.createdAt.getTime() - b.createdAt.getTime() ||
          (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0),
      )
      .map(copy);
    return Promise.resolve(keys);
  }

  /** An already retired key keeps its first retirement time. */
  async addSuccessor(key: SigningKey, retireOthersAt: Date): Promise<void> {
    await this.insert(key);
    for (const other of this.keys.values()) {
      if (other.kid !== key.kid && other.retiredAt === undefined) {
        this.keys.set(other.kid, { ...other, retiredAt: retireOthersAt });
      }
    }
  }

  /** Writes here take effect at once. */
  afterWrites(action: () => Promise<void>): Promise<void> {
    return action();
  }
}
