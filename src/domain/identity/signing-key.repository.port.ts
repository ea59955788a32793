import type { SigningKey } from './signing-key.js';

/** Platform-wide (not tenant-owned): keys sign tokens of every tenant. */
export interface SigningKeyRepository {
  insert(key: SigningKey): Promise<void>;
  /** Keys whose public half must still be published: unretired, or retired after `since`. */
  listPublishable(since: Date): Promise<SigningKey[]>;
  /** `at` may lie in the future (the key signs until then); a retired key keeps its first time. */
  retire(kid: string, at: Date): Promise<void>;
}
