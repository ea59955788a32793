import type { SigningKey } from './signing-key.js';

/** Platform-wide (not tenant-owned): keys sign tokens of every tenant. */
export interface SigningKeyRepository {
  insert(key: SigningKey): Promise<void>;
  /** Keys whose public half must still be published: unretired, or retired after `since`. */
  listPublishable(since: Date): Promise<SigningKey[]>;
  /** `at` may lie in the future (the key signs until then); a retired key keeps its first time. */
  retire(kid: string, at: Date): Promise<void>;
  /**
   * Runs `action` once the transaction the writes joined has ended (at once when they joined
   * none), and waits for it: from then on reads see what was committed, never a key whose
   * transaction rolled back.
   */
  afterWrites(action: () => Promise<void>): Promise<void>;
}
