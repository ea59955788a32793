import type { UserToken, UserTokenPurpose } from './user-token.js';

/** One-time tokens of the unit of work's tenant. */
export interface UserTokenRepository {
  insert(token: UserToken): Promise<void>;
  /** The token with this hash and purpose, used or not, expired or not. */
  findByHash(tokenHash: Uint8Array, purpose: UserTokenPurpose): Promise<UserToken | undefined>;
  /**
   * Marks the token used at `at` if it is still unused; false when it was used already (a
   * concurrent use won), so a token works once even under races.
   */
  markUsed(id: string, at: Date): Promise<boolean>;
  /** Marks every unused token of the user for that purpose used (a newer one supersedes them). */
  supersede(userId: string, purpose: UserTokenPurpose, at: Date): Promise<void>;
}
