import type { SigningKey } from './signing-key.js';

/** Platform-wide (not tenant-owned): keys sign tokens of every tenant. */
export interface SigningKeyRepository {
  insert(key: SigningKey): Promise<void>;
  /** Keys whose public half must still be published: unretired, or retired after `since`. */
  listPublishable(since: Date): Promise<SigningKey[]>;
  /**
   * A rotation's writes: stores `key` and retires every other unretired key at
   * `retireOthersAt`, in one transaction (the caller's request transaction when there is one).
   * The time may lie in the future (the retired keys sign until then); a key already retired
   * keeps its first time. Rotations run one after the other, so a later one retires what an
   * earlier one added.
   */
  addSuccessor(key: SigningKey, retireOthersAt: Date): Promise<void>;
  /**
   * Runs `action` once the transaction `addSuccessor` joined has ended, committed or not: from
   * then on reads see what was committed, never a key whose transaction rolled back. Outside a
   * transaction it runs at once and is awaited; inside one, the request awaits it before it
   * answers.
   */
  afterWrites(action: () => Promise<void>): Promise<void>;
}
