import { InvalidArgumentError } from '../shared/errors.js';
import { parseText } from '../shared/text.js';

export type UserStatus = 'active' | 'disabled';

export interface User {
  readonly tenantId: string;
  readonly id: string;
  readonly email: string;
  readonly emailNormalized: string;
  readonly displayName: string;
  readonly passwordHash: string;
  readonly status: UserStatus;
  readonly createdAt: Date;
  readonly lastLoginAt: Date | undefined;
  /** When the user proved they own `email`; absent while unverified. */
  readonly emailVerifiedAt?: Date | undefined;
}

export const MAX_USER_DISPLAY_NAME_LENGTH = 200;

/** A display name as given (trimmed); empty means "use the email address". */
export const parseUserDisplayName = (field: string, raw: string, email: string): string =>
  raw.trim() === '' ? email : parseText(field, raw, { max: MAX_USER_DISPLAY_NAME_LENGTH });

/** Whether the user may log in and act. */
export const isUserActive = (user: User): boolean => user.status === 'active';

/** Disables a user; disabling a disabled user changes nothing (returns the same object). */
export function disableUser(user: User): User {
  if (user.status === 'disabled') return user;
  return { ...user, status: 'disabled' };
}

/** Re-enables a user; an active user is returned unchanged. */
export function enableUser(user: User): User {
  if (user.status === 'active') return user;
  return { ...user, status: 'active' };
}

/**
 * Keyset position of a user in the oldest-first listing: creation time, then id for users
 * created in the same millisecond. Encoded as `<ISO-8601 instant>_<uuid>`.
 */
export interface UserCursor {
  readonly createdAt: Date;
  readonly id: string;
}

const CURSOR =
  /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

export const encodeUserCursor = (user: Pick<User, 'createdAt' | 'id'>): string =>
  `${user.createdAt.toISOString()}_${user.id.toLowerCase()}`;

/** Decodes a cursor made by `encodeUserCursor`; anything else is INVALID_ARGUMENT on `field`. */
export function parseUserCursor(field: string, raw: string): UserCursor {
  const match = CURSOR.exec(raw);
  const createdAt = match?.[1] === undefined ? undefined : new Date(match[1]);
  if (match?.[2] === undefined || createdAt === undefined || Number.isNaN(createdAt.getTime())) {
    throw new InvalidArgumentError(field, 'is not a page token from this server');
  }
  return { createdAt, id: match[2] };
}

/** Oldest first, then by id: the order of `UserRepository.list`. */
export function compareUsersByCursor(a: UserCursor, b: UserCursor): number {
  const byTime = a.createdAt.getTime() - b.createdAt.getTime();
  if (byTime !== 0) return byTime;
  const [x, y] = [a.id.toLowerCase(), b.id.toLowerCase()];
  return x < y ? -1 : x > y ? 1 : 0;
}
