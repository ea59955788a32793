import { DomainError, InvalidArgumentError } from '../shared/errors.js';
import { isUuid } from '../shared/uuid.js';

/** What a one-time token lets its bearer do. */
export type UserTokenPurpose = 'password_reset' | 'email_verification';

/** A one-time token as stored: only the hash of its secret, never the secret. */
export interface UserToken {
  readonly tenantId: string;
  readonly id: string;
  readonly userId: string;
  readonly purpose: UserTokenPurpose;
  readonly tokenHash: Uint8Array;
  readonly expiresAt: Date;
  readonly usedAt: Date | undefined;
  readonly createdAt: Date;
}

/** A presented token: `<tenant id>.<secret>`; the tenant tells where to look it up. */
export interface PresentedToken {
  readonly tenantId: string;
  readonly secret: string;
}

/** 32 random bytes in base64url without padding. */
const SECRET = /^[A-Za-z0-9_-]{43}$/;

export const formatUserToken = (tenantId: string, secret: string): string =>
  `${tenantId.toLowerCase()}.${secret}`;

/** Reads `<tenant id>.<secret>`; any other shape is INVALID_ARGUMENT on `field`. */
export function parseUserToken(field: string, raw: string): PresentedToken {
  if (raw === '') throw new InvalidArgumentError(field, 'is required');
  const dot = raw.indexOf('.');
  const tenantId = dot < 0 ? '' : raw.slice(0, dot);
  const secret = dot < 0 ? '' : raw.slice(dot + 1);
  if (!isUuid(tenantId) || !SECRET.test(secret)) {
    throw new InvalidArgumentError(field, 'is not a token from this server');
  }
  return { tenantId: tenantId.toLowerCase(), secret };
}

/** Whether the token can still be used at `now`. */
export const isUserTokenUsable = (token: UserToken, now: Date): boolean =>
  token.usedAt === undefined && token.expiresAt.getTime() > now.getTime();

/**
 * The one answer for a well-formed token that is unknown, expired, already used, for another
 * purpose, or whose user is gone or disabled.
 */
export const invalidOrExpiredToken = (): DomainError =>
  new DomainError(
    'failed_precondition',
    'INVALID_OR_EXPIRED_TOKEN',
    'the token is invalid, expired or already used',
  );
