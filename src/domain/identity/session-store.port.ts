import type { PageQuery } from '../shared/page.js';
import type { RefreshTokenRecord, Session } from './session.js';

/** Sessions and refresh tokens of one tenant, inside one transaction. */
export interface SessionRepository {
  insertSession(session: Session): Promise<void>;
  /** Reads a session without locking it. */
  findSession(id: string): Promise<Session | undefined>;
  /** Reads a session and locks its row until the transaction ends (`FOR UPDATE`). */
  lockSession(id: string): Promise<Session | undefined>;
  touchSession(id: string, lastUsedAt: Date, idleExpiresAt: Date): Promise<void>;
  /** Revokes a live session; false when it was already revoked or does not exist. */
  revokeSession(id: string, at: Date, reason: string): Promise<boolean>;
  /** Revokes every unrevoked session of a user (but `exceptId`); returns their ids. */
  revokeSessionsOfUser(
    userId: string,
    at: Date,
    reason: string,
    exceptId?: string,
  ): Promise<string[]>;
  /** The user's live sessions at `now`, by id (creation order), `limit + 1` at most. */
  listLiveSessionsOfUser(userId: string, now: Date, query: PageQuery): Promise<Session[]>;

  insertRefreshToken(token: RefreshTokenRecord): Promise<void>;
  findRefreshTokenByHash(tokenHash: Uint8Array): Promise<RefreshTokenRecord | undefined>;
  findRefreshToken(id: string): Promise<RefreshTokenRecord | undefined>;
  /**
   * Marks an unused token used and replaced by `successorId`, atomically; undefined when it
   * was already used (someone else claimed it) or does not exist.
   */
  claimRefreshToken(
    id: string,
    at: Date,
    successorId: string,
  ): Promise<RefreshTokenRecord | undefined>;
}

/**
 * The only way to reach sessions: `work` runs in one transaction confined to the tenant,
 * committed when it resolves, rolled back when it throws (like `UnitOfWork`).
 */
export interface SessionStore {
  inTenant<T>(tenantId: string, work: (sessions: SessionRepository) => Promise<T>): Promise<T>;
}

/** Tells every replica (this one included, at once) that sessions ended. */
export interface SessionRevocations {
  revoked(sessionIds: readonly string[]): void;
  onRevoked(listener: (sessionId: string) => void): void;
  /** The feed may have missed announcements (e.g. it reconnected): drop what it vouched for. */
  onReset(listener: () => void): void;
}

/**
 * Whether a session may still be used, on the hot path: `true`/`false` when known from memory,
 * a promise otherwise.
 */
export interface SessionLiveness {
  isLive(tenantId: string, sessionId: string): boolean | Promise<boolean>;
}
