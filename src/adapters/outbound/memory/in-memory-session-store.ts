import type { RefreshTokenRecord, Session } from '../../../domain/identity/session.js';
import type {
  SessionRepository,
  SessionStore,
} from '../../../domain/identity/session-store.port.js';
import type { PageQuery } from '../../../domain/shared/page.js';
import { isUuid } from '../../../domain/shared/uuid.js';
import { foreignKeyViolation, rlsViolation, rowKey, uniqueViolation } from './memory-database.js';

interface Tables {
  readonly sessions: Map<string, Session>;
  readonly tokens: Map<string, RefreshTokenRecord>;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

class InMemorySessionRepository implements SessionRepository {
  constructor(
    private readonly tables: Tables,
    private readonly tenantId: string,
  ) {}

  private key(id: string): string {
    return rowKey(this.tenantId, id);
  }

  insertSession(session: Session): Promise<void> {
    if (session.tenantId.toLowerCase() !== this.tenantId) throw rlsViolation('sessions');
    const key = this.key(session.id);
    if (this.tables.sessions.has(key)) throw uniqueViolation('sessions_pkey');
    this.tables.sessions.set(key, session);
    return Promise.resolve();
  }

  findSession(id: string): Promise<Session | undefined> {
    return Promise.resolve(isUuid(id) ? this.tables.sessions.get(this.key(id)) : undefined);
  }

  /** Transactions of the memory store run one at a time: holding one is holding every lock. */
  lockSession(id: string): Promise<Session | undefined> {
    return this.findSession(id);
  }

  touchSession(id: string, lastUsedAt: Date, idleExpiresAt: Date): Promise<void> {
    const session = this.tables.sessions.get(this.key(id));
    if (session !== undefined) {
      this.tables.sessions.set(this.key(id), { ...session, lastUsedAt, idleExpiresAt });
    }
    return Promise.resolve();
  }

  revokeSession(id: string, at: Date, reason: string): Promise<boolean> {
    if (!isUuid(id)) return Promise.resolve(false);
    const session = this.tables.sessions.get(this.key(id));
    if (session === undefined) return Promise.resolve(false);
    if (session.revokedAt !== undefined) return Promise.resolve(false);
    this.tables.sessions.set(this.key(id), { ...session, revokedAt: at, revokedReason: reason });
    return Promise.resolve(true);
  }

  revokeSessionsOfUser(
    userId: string,
    at: Date,
    reason: string,
    exceptId?: string,
  ): Promise<string[]> {
    const ended: string[] = [];
    for (const [key, session] of this.tables.sessions) {
      if (session.tenantId.toLowerCase() !== this.tenantId) continue;
      if (session.userId !== userId.toLowerCase() || session.revokedAt !== undefined) continue;
      if (session.id === exceptId?.toLowerCase()) continue;
      this.tables.sessions.set(key, { ...session, revokedAt: at, revokedReason: reason });
      ended.push(session.id);
    }
    return Promise.resolve(ended);
  }

  listLiveSessionsOfUser(userId: string, now: Date, query: PageQuery): Promise<Session[]> {
    const rows = [...this.tables.sessions.values()]
      .filter(
        (s) =>
          s.tenantId.toLowerCase() === this.tenantId &&
          s.userId === userId.toLowerCase() &&
          s.revokedAt === undefined &&
          s.idleExpiresAt.getTime() > now.getTime() &&
          s.absoluteExpiresAt.getTime() > now.getTime() &&
          (query.after === undefined || s.id > query.after.toLowerCase()),
      )
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return Promise.resolve(rows.slice(0, query.limit + 1));
  }

  insertRefreshToken(token: RefreshTokenRecord): Promise<void> {
    if (token.tenantId.toLowerCase() !== this.tenantId) throw rlsViolation('refresh_tokens');
    if (!this.tables.sessions.has(this.key(token.sessionId))) {
      throw foreignKeyViolation('refresh_tokens', 'refresh_tokens_session_fkey');
    }
    const key = this.key(token.id);
    if (this.tables.tokens.has(key)) throw uniqueViolation('refresh_tokens_pkey');
    const hash = hex(token.tokenHash);
    for (const other of this.tables.tokens.values()) {
      if (other.tenantId.toLowerCase() === this.tenantId && hex(other.tokenHash) === hash) {
        throw uniqueViolation('refresh_tokens_hash_key');
      }
    }
    this.tables.tokens.set(key, token);
    return Promise.resolve();
  }

  findRefreshTokenByHash(tokenHash: Uint8Array): Promise<RefreshTokenRecord | undefined> {
    const hash = hex(tokenHash);
    for (const token of this.tables.tokens.values()) {
      if (token.tenantId.toLowerCase() === this.tenantId && hex(token.tokenHash) === hash) {
        return Promise.resolve(token);
      }
    }
    return Promise.resolve(undefined);
  }

  findRefreshToken(id: string): Promise<RefreshTokenRecord | undefined> {
    return Promise.resolve(isUuid(id) ? this.tables.tokens.get(this.key(id)) : undefined);
  }

  claimRefreshToken(
    id: string,
    at: Date,
    successorId: string,
  ): Promise<RefreshTokenRecord | undefined> {
    if (!isUuid(id)) return Promise.resolve(undefined);
    const token = this.tables.tokens.get(this.key(id));
    if (token === undefined || token.usedAt !== undefined) return Promise.resolve(undefined);
    const claimed = { ...token, usedAt: at, replacedBy: successorId };
    this.tables.tokens.set(this.key(id), claimed);
    return Promise.resolve(claimed);
  }
}

/**
 * The memory twin of PgSessionStore: a tenant sees only its own rows, transactions run one at
 * a time (so the row locks of the Postgres adapter hold trivially) on a copy that is kept when
 * the work resolves and dropped when it throws.
 */
export class InMemorySessionStore implements SessionStore {
  private tables: Tables = { sessions: new Map(), tokens: new Map() };
  private tail: Promise<unknown> = Promise.resolve();

  inTenant<T>(tenantId: string, work: (sessions: SessionRepository) => Promise<T>): Promise<T> {
    if (!isUuid(tenantId))
      return Promise.reject(new Error('inTenant: the tenant id must be a UUID'));
    const run = async (): Promise<T> => {
      const copy: Tables = {
        sessions: new Map(this.tables.sessions),
        tokens: new Map(this.tables.tokens),
      };
      const result = await work(new InMemorySessionRepository(copy, tenantId.toLowerCase()));
      this.tables = copy;
      return result;
    };
    const next = this.tail.then(run, run);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
