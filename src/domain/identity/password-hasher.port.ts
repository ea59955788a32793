export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
  /** True when the hash was made with parameters weaker than the current ones. */
  needsRehash(hash: string): boolean;
  /**
   * Spends the same time as a real verification, for logins whose user does not exist, so
   * timing does not tell which emails are registered.
   */
  verifyDummy(password: string): Promise<void>;
}
