import type { User } from './user.js';

/** Users of the unit of work's tenant. */
export interface UserRepository {
  /** Throws `USER_EMAIL_TAKEN` when the normalised email exists in the tenant. */
  insert(user: User): Promise<void>;
  findByEmail(emailNormalized: string): Promise<User | undefined>;
  findById(id: string): Promise<User | undefined>;
  recordLogin(id: string, at: Date, passwordHash?: string): Promise<void>;
}
