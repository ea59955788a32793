import { DomainError } from '../shared/errors.js';

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

/**
 * The hashing backend failed to give an answer (a worker died, stalled or was shut down): not
 * a verdict on the password, so never a wrong password, never counted toward a lockout.
 */
export const passwordHasherUnavailable = (): DomainError =>
  new DomainError(
    'unavailable',
    'PASSWORD_HASHER_UNAVAILABLE',
    'password verification is temporarily unavailable; retry later',
  );
