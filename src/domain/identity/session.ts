import { DomainError } from '../shared/errors.js';

/** A login's lifetime: refresh tokens rotate inside it; revoking it ends them all. */
export interface Session {
  readonly tenantId: string;
  readonly id: string;
  readonly userId: string;
  readonly userAgent: string | undefined;
  readonly ip: string | undefined;
  readonly createdAt: Date;
  readonly lastUsedAt: Date;
  /** Slides forward on every refresh, never past `absoluteExpiresAt`. */
  readonly idleExpiresAt: Date;
  readonly absoluteExpiresAt: Date;
  readonly revokedAt: Date | undefined;
  readonly revokedReason: string | undefined;
}

/** One refresh token of a session's rotation chain; only a hash of its secret is stored. */
export interface RefreshTokenRecord {
  readonly tenantId: string;
  readonly id: string;
  readonly sessionId: string;
  /** SHA-256 of the secret part. */
  readonly tokenHash: Uint8Array;
  readonly parentId: string | undefined;
  readonly createdAt: Date;
  /** When it was traded for its successor. */
  readonly usedAt: Date | undefined;
  readonly replacedBy: string | undefined;
}

export type SessionRevokedReason =
  'logout' | 'revoked' | 'refresh_reuse' | 'user_disabled' | 'password_changed' | (string & {});

export const isSessionLive = (session: Session, now: Date): boolean =>
  session.revokedAt === undefined &&
  now.getTime() < session.idleExpiresAt.getTime() &&
  now.getTime() < session.absoluteExpiresAt.getTime();

/** One message for unknown, used, expired and revoked refresh tokens. */
export const invalidRefreshToken = (): DomainError =>
  new DomainError('unauthenticated', 'INVALID_REFRESH_TOKEN', 'invalid refresh token');

/** Also what a caller gets for a session it may not see: existence is not revealed. */
export const sessionNotFound = (): DomainError =>
  new DomainError('not_found', 'SESSION_NOT_FOUND', 'session not found');

/** Whether a session still holds could not be read (the store is down): retry. */
export const sessionsUnavailable = (): DomainError =>
  new DomainError('unavailable', 'SESSIONS_UNAVAILABLE', 'session state is unavailable; retry');
