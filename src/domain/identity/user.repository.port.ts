import type { Page, PageQuery } from '../shared/page.js';
import type { User } from './user.js';

/** Users of the unit of work's tenant. */
export interface UserRepository {
  /** Throws `USER_EMAIL_TAKEN` when the normalised email exists in the tenant. */
  insert(user: User): Promise<void>;
  findByEmail(emailNormalized: string): Promise<User | undefined>;
  findById(id: string): Promise<User | undefined>;
  /**
   * `findById`, keeping the row locked until the unit of work ends: a change reads, edits and
   * writes the whole row back (`update`) without undoing a concurrent one (an email
   * verification racing a disable must not re-enable the user).
   */
  findByIdForUpdate(id: string): Promise<User | undefined>;
  /**
   * Oldest first (created_at, then id); `after` is a cursor from `encodeUserCursor` (the
   * caller validates it with `parseUserCursor`).
   */
  list(query: PageQuery): Promise<Page<User>>;
  /**
   * Writes email, display name, password hash, status and last login of an existing user.
   * Throws `USER_NOT_FOUND` when the user is not in the tenant, `USER_EMAIL_TAKEN` when the
   * new normalised email belongs to another user of the tenant.
   */
  update(user: User): Promise<void>;
  /**
   * Sets the last login; with `rehash`, also replaces the password hash, but only if the stored
   * one is still `rehash.from`: the new hash was computed from the password that hash verified,
   * so it must not undo a password change made since.
   */
  recordLogin(id: string, at: Date, rehash?: PasswordRehash): Promise<void>;
}

/** A stronger hash (`to`) of the password the stored hash `from` verified. */
export interface PasswordRehash {
  readonly from: string;
  readonly to: string;
}
