import type { AuditEvent } from '../../domain/audit/audit-event.js';
import type { AuditLog } from '../../domain/audit/audit-log.port.js';
import { permissionDenied } from '../../domain/authorization/authorization.errors.js';
import type {
  AccessTokenIssuer,
  IssuedAccessToken,
} from '../../domain/identity/access-token.port.js';
import type { RefreshTokenCodec } from '../../domain/identity/refresh-token-codec.port.js';
import {
  invalidRefreshToken,
  isSessionLive,
  sessionNotFound,
  sessionsUnavailable,
  type RefreshTokenRecord,
  type Session,
} from '../../domain/identity/session.js';
import type {
  RevocationCause,
  SessionRevoker,
} from '../../domain/identity/session-revoker.port.js';
import type {
  SessionRepository,
  SessionRevocations,
  SessionStore,
} from '../../domain/identity/session-store.port.js';
import type { Clock } from '../../domain/shared/clock.port.js';
import type { IdGenerator } from '../../domain/shared/id-generator.port.js';
import { pageFrom, pageQuery, type Page } from '../../domain/shared/page.js';
import type { JoinedTransactions } from '../../domain/shared/request-transactions.port.js';
import type { UnitOfWork } from '../../domain/shared/unit-of-work.port.js';
import { isUuid, parseUuid } from '../../domain/shared/uuid.js';
import { isTenantUsable } from '../../domain/tenancy/tenant.js';
import type { TenantDirectory } from '../../domain/tenancy/tenant-directory.port.js';
import { inOneTransaction } from '../shared/in-one-transaction.js';
import type { PermissionHolder } from '../shared/permission-holder.js';
import type { Actor } from '../shared/actor.js';
import { actingFrom, auditActorOf, type AuditContext } from '../shared/audit-context.js';

export interface SessionPolicy {
  readonly idleTimeoutSeconds: number;
  readonly absoluteLifetimeSeconds: number;
  /** How long a just-rotated token may be presented again for the same successor. */
  readonly reuseGraceSeconds: number;
}

/** Where a session was started from (the transport peer and the client's user agent). */
export interface SessionOrigin extends AuditContext {
  readonly userAgent?: string | undefined;
}

export interface IssuedRefreshToken {
  readonly token: string;
  readonly expiresAt: Date;
}

export interface StartedSession {
  readonly sessionId: string;
  readonly refresh: IssuedRefreshToken;
}

export interface RefreshedPair {
  readonly access: IssuedAccessToken;
  readonly refresh: IssuedRefreshToken;
}

export interface ListSessionsInput {
  /** Empty: the caller's own sessions. */
  readonly userId: string;
  readonly pageSize: number;
  readonly after: string | undefined;
}

const MAX_USER_AGENT = 512;

type RefreshOutcome =
  | {
      readonly kind: 'rotated' | 'grace';
      readonly session: Session;
      readonly successor: RefreshTokenRecord;
      readonly expiresAt: Date;
    }
  | { readonly kind: 'reused'; readonly session: Session; readonly tokenId: string }
  | { readonly kind: 'invalid' };

/**
 * Sessions with rotating refresh tokens. Every change to a session happens with its row locked
 * (`FOR UPDATE`): refresh, reuse detection and revocation serialize on it, so a revocation can
 * never be undone by a refresh racing it. Revocations are broadcast after they commit.
 */
export class SessionManager implements SessionRevoker {
  constructor(
    private readonly store: SessionStore,
    private readonly codec: RefreshTokenCodec,
    private readonly uow: UnitOfWork,
    private readonly tokens: AccessTokenIssuer,
    private readonly directory: TenantDirectory,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly audit: AuditLog,
    private readonly revocations: SessionRevocations,
    private readonly policy: SessionPolicy,
    /** Decides who may read or end other users' sessions. */
    private readonly permissions: PermissionHolder,
    /**
     * Makes a session's end and its audit event one transaction: logout, revoke, and mass
     * revocation (absent: one after the other).
     */
    private readonly transactions?: JoinedTransactions,
  ) {}

  /** A new session for a user who just proved who they are, with its first refresh token. */
  async start(
    tenantId: string,
    userId: string,
    origin: SessionOrigin = {},
  ): Promise<StartedSession> {
    const now = this.clock.now();
    const absolute = this.after(now, this.policy.absoluteLifetimeSeconds);
    const idle = this.earliest(this.after(now, this.policy.idleTimeoutSeconds), absolute);
    const session: Session = {
      tenantId,
      id: this.ids.newId(),
      userId,
      userAgent:
        origin.userAgent === undefined || origin.userAgent === ''
          ? undefined
          : origin.userAgent.slice(0, MAX_USER_AGENT),
      ip: origin.ip,
      createdAt: now,
      lastUsedAt: now,
      idleExpiresAt: idle,
      absoluteExpiresAt: absolute,
      revokedAt: undefined,
      revokedReason: undefined,
    };
    const tokenId = this.ids.newId();
    const { token, hash } = this.codec.issue(tenantId, tokenId);
    await this.store.inTenant(tenantId, async (sessions) => {
      await sessions.insertSession(session);
      await sessions.insertRefreshToken({
        tenantId,
        id: tokenId,
        sessionId: session.id,
        tokenHash: hash,
        parentId: undefined,
        createdAt: now,
        usedAt: undefined,
        replacedBy: undefined,
      });
    });
    return { sessionId: session.id, refresh: { token, expiresAt: idle } };
  }

  /**
   * Trades a refresh token for a new pair. The token is claimed atomically in the transaction
   * that writes its successor. Presenting the immediate parent of the current token again
   * within the grace window answers the same successor (concurrent refreshes of one client);
   * any other reuse revokes the whole session and is audited.
   */
  async refresh(presented: string, origin: AuditContext = {}): Promise<RefreshedPair> {
    const parsed = this.codec.parse(presented);
    if (parsed === undefined) throw invalidRefreshToken();
    const tenant = await this.directory.byId(parsed.tenantId);
    if (tenant === undefined || !isTenantUsable(tenant.status)) throw invalidRefreshToken();
    const { tenantId } = parsed;

    const outcome = await this.store.inTenant(tenantId, (sessions) =>
      this.rotate(sessions, tenantId, parsed.hash),
    );
    if (outcome.kind === 'invalid') throw invalidRefreshToken();
    if (outcome.kind === 'reused') {
      this.revocations.revoked([outcome.session.id]);
      await this.recordReuse(outcome.session, outcome.tokenId, origin);
      throw invalidRefreshToken();
    }
    const { session, successor } = outcome;
    const user = await this.uow.inTenant(tenantId, async (scope) => {
      const found = await scope.users.findById(session.userId);
      if (found?.status !== 'active') return undefined;
      return { roles: await scope.roles.roleNamesOf(found.id) };
    });
    if (user === undefined) throw invalidRefreshToken();
    const access = await this.tokens.issue({
      subjectId: session.userId,
      tenantId,
      kind: 'user',
      roles: user.roles,
      sessionId: session.id,
      amr: ['pwd'],
    });
    return {
      access,
      refresh: {
        token: this.codec.issue(tenantId, successor.id).token,
        expiresAt: outcome.expiresAt,
      },
    };
  }

  private async rotate(
    sessions: SessionRepository,
    tenantId: string,
    hash: Uint8Array,
  ): Promise<RefreshOutcome> {
    const seen = await sessions.findRefreshTokenByHash(hash);
    if (seen === undefined) return { kind: 'invalid' };
    // The session lock serializes this refresh with every other refresh and revocation of it;
    // the token is read again under it.
    const session = await sessions.lockSession(seen.sessionId);
    const now = this.clock.now();
    if (session === undefined || !isSessionLive(session, now)) return { kind: 'invalid' };
    const token = await sessions.findRefreshToken(seen.id);
    if (token === undefined) return { kind: 'invalid' };

    if (token.usedAt !== undefined) {
      const current =
        token.replacedBy === undefined
          ? undefined
          : await sessions.findRefreshToken(token.replacedBy);
      const withinGrace =
        now.getTime() - token.usedAt.getTime() <= this.policy.reuseGraceSeconds * 1000;
      if (current !== undefined && current.usedAt === undefined && withinGrace) {
        return { kind: 'grace', session, successor: current, expiresAt: session.idleExpiresAt };
      }
      await sessions.revokeSession(session.id, now, 'refresh_reuse');
      return { kind: 'reused', session, tokenId: token.id };
    }

    const successorId = this.ids.newId();
    const claimed = await sessions.claimRefreshToken(token.id, now, successorId);
    if (claimed === undefined) return { kind: 'invalid' }; // cannot happen under the lock
    const successor: RefreshTokenRecord = {
      tenantId,
      id: successorId,
      sessionId: session.id,
      tokenHash: this.codec.issue(tenantId, successorId).hash,
      parentId: token.id,
      createdAt: now,
      usedAt: undefined,
      replacedBy: undefined,
    };
    await sessions.insertRefreshToken(successor);
    const idle = this.earliest(
      this.after(now, this.policy.idleTimeoutSeconds),
      session.absoluteExpiresAt,
    );
    await sessions.touchSession(session.id, now, idle);
    return { kind: 'rotated', session, successor, expiresAt: idle };
  }

  /** Ends the caller's own session (the one its access token names). */
  async logout(actor: Actor, origin: AuditContext = {}): Promise<void> {
    const { sessionId, tenantId } = actor.principal;
    if (sessionId === undefined) return;
    await this.withItsEvent(tenantId, async () => {
      const userId = await this.end(tenantId, sessionId, 'logout');
      if (userId !== undefined)
        await this.recordEnd(actor, origin, tenantId, sessionId, userId, 'logout');
    });
  }

  /**
   * The live sessions of the caller, or of another user of the tenant with `sessions:read`
   * (without it: PERMISSION_DENIED, which tells nothing about that user's sessions).
   */
  async list(actor: Actor, input: ListSessionsInput): Promise<Page<Session>> {
    const userId = input.userId === '' ? undefined : parseUuid('user_id', input.userId);
    const ownTenant = actor.principal.tenantId === actor.tenantId;
    const self = ownTenant ? actor.principal.subjectId.toLowerCase() : undefined;
    const target = userId ?? self;
    if (target === undefined) return { items: [], nextAfter: undefined };
    if (target !== self && !(await this.may(actor, 'sessions:read'))) {
      throw permissionDenied('sessions:read');
    }
    const after = input.after === undefined ? undefined : parseUuid('page.page_token', input.after);
    const query = pageQuery('page', input.pageSize, after);
    const rows = await this.store.inTenant(actor.tenantId, (sessions) =>
      sessions.listLiveSessionsOfUser(target, this.clock.now(), query),
    );
    return pageFrom(rows, query.limit, (session) => session.id);
  }

  /**
   * Ends one session of the caller, or another user's with `sessions:write`. Sessions the
   * caller may not end, and other tenants' sessions, are SESSION_NOT_FOUND.
   */
  async revoke(actor: Actor, rawSessionId: string, origin: AuditContext = {}): Promise<void> {
    const sessionId = parseUuid('session_id', rawSessionId);
    const self =
      actor.principal.tenantId === actor.tenantId
        ? actor.principal.subjectId.toLowerCase()
        : undefined;
    const mayOthers = await this.may(actor, 'sessions:write');
    await this.withItsEvent(actor.tenantId, async () => {
      const ended = await this.store.inTenant(actor.tenantId, async (sessions) => {
        const session = await sessions.lockSession(sessionId);
        if (session === undefined || (session.userId !== self && !mayOthers)) {
          throw sessionNotFound();
        }
        const revoked = await sessions.revokeSession(sessionId, this.clock.now(), 'revoked');
        return revoked ? session.userId : undefined;
      });
      if (ended === undefined) return;
      // Heard once the transaction commits (the feed waits for it).
      this.revocations.revoked([sessionId]);
      await this.recordEnd(actor, origin, actor.tenantId, sessionId, ended, 'revoked');
    });
  }

  async revokeAllOfUser(
    tenantId: string,
    userId: string,
    cause: RevocationCause,
    exceptSessionId?: string,
  ): Promise<number> {
    if (!isUuid(tenantId) || !isUuid(userId)) return 0;
    const user = userId.toLowerCase();
    const work = async (): Promise<number> => {
      const ended = await this.store.inTenant(tenantId, (sessions) =>
        sessions.revokeSessionsOfUser(
          user,
          this.clock.now(),
          'revoked_all',
          exceptSessionId?.toLowerCase(),
        ),
      );
      if (ended.length === 0) return 0;
      await this.audit.append([
        {
          tenantId,
          id: this.ids.newId(),
          occurredAt: this.clock.now(),
          actor: cause.actor,
          action: 'auth.sessions.revoked_all',
          target: { type: 'user', id: user },
          outcome: 'success',
          details: { count: ended.length, reason: cause.reason },
        },
      ]);
      // Heard once the transaction commits (the feed waits for it).
      this.revocations.revoked(ended);
      return ended.length;
    };
    return this.withItsEvent(tenantId, work);
  }

  /** Runs a change and the writing of its event in one transaction, when there are transactions. */
  private withItsEvent<T>(tenantId: string, work: () => Promise<T>): Promise<T> {
    return this.transactions === undefined
      ? work()
      : inOneTransaction(this.transactions, tenantId, work);
  }

  /** Whether a session exists in the tenant and is live (the liveness cache's source). */
  async isLive(tenantId: string, sessionId: string): Promise<boolean> {
    if (!isUuid(tenantId) || !isUuid(sessionId)) return false;
    let session: Session | undefined;
    try {
      session = await this.store.inTenant(tenantId, (sessions) => sessions.findSession(sessionId));
    } catch {
      // Unknown is not "ended": the caller gets UNAVAILABLE (retry), never a false verdict.
      throw sessionsUnavailable();
    }
    return session !== undefined && isSessionLive(session, this.clock.now());
  }

  /** Ends a session; the user it belonged to when this call ended it, else undefined. */
  private async end(
    tenantId: string,
    sessionId: string,
    reason: string,
  ): Promise<string | undefined> {
    const ended = await this.store.inTenant(tenantId, async (sessions) => {
      const session = await sessions.lockSession(sessionId);
      if (session === undefined) return undefined;
      const revoked = await sessions.revokeSession(sessionId, this.clock.now(), reason);
      return revoked ? session.userId : undefined;
    });
    if (ended !== undefined) this.revocations.revoked([sessionId]);
    return ended;
  }

  private recordEnd(
    actor: Actor,
    origin: AuditContext,
    tenantId: string,
    sessionId: string,
    userId: string,
    reason: string,
  ): Promise<void> {
    return this.audit.append([
      {
        tenantId,
        id: this.ids.newId(),
        occurredAt: this.clock.now(),
        actor: auditActorOf(actor, origin),
        action: 'auth.session.revoked',
        target: { type: 'session', id: sessionId },
        outcome: 'success',
        details: { userId, reason, ...actingFrom(actor, tenantId) },
      },
    ]);
  }

  private may(actor: Actor, permission: string): boolean | Promise<boolean> {
    return this.permissions.holds(actor.principal, permission);
  }

  private recordReuse(session: Session, tokenId: string, origin: AuditContext): Promise<void> {
    const event: AuditEvent = {
      tenantId: session.tenantId,
      id: this.ids.newId(),
      occurredAt: this.clock.now(),
      actor: { kind: 'anonymous', ip: origin.ip, requestId: origin.requestId },
      action: 'auth.refresh.reused',
      target: { type: 'session', id: session.id },
      outcome: 'denied',
      details: { userId: session.userId, refreshTokenId: tokenId },
    };
    return this.audit.append([event]);
  }

  private after(from: Date, seconds: number): Date {
    return new Date(from.getTime() + seconds * 1000);
  }

  private earliest(a: Date, b: Date): Date {
    return a.getTime() <= b.getTime() ? a : b;
  }
}
