import type { Knex } from 'knex';

import type { RefreshTokenRecord, Session } from '../../../domain/identity/session.js';
import type {
  SessionRepository,
  SessionStore,
} from '../../../domain/identity/session-store.port.js';
import type { PageQuery } from '../../../domain/shared/page.js';
import { isUuid } from '../../../domain/shared/uuid.js';
import { inTenantTransaction } from './pg-request-transactions.js';
import { abortedUnitOfWork, trackFailures } from './unit-of-work-failures.js';

interface SessionRow {
  tenant_id: string;
  id: string;
  user_id: string;
  user_agent: string | null;
  ip: string | null;
  created_at: Date;
  last_used_at: Date;
  idle_expires_at: Date;
  absolute_expires_at: Date;
  revoked_at: Date | null;
  revoked_reason: string | null;
}

interface RefreshTokenRow {
  tenant_id: string;
  id: string;
  session_id: string;
  token_hash: Buffer;
  parent_id: string | null;
  created_at: Date;
  used_at: Date | null;
  replaced_by: string | null;
}

const SESSIONS = 'core.sessions';
const TOKENS = 'core.refresh_tokens';

const toSession = (row: SessionRow): Session => ({
  tenantId: row.tenant_id,
  id: row.id,
  userId: row.user_id,
  userAgent: row.user_agent ?? undefined,
  ip: row.ip ?? undefined,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
  idleExpiresAt: row.idle_expires_at,
  absoluteExpiresAt: row.absolute_expires_at,
  revokedAt: row.revoked_at ?? undefined,
  revokedReason: row.revoked_reason ?? undefined,
});

const toToken = (row: RefreshTokenRow): RefreshTokenRecord => ({
  tenantId: row.tenant_id,
  id: row.id,
  sessionId: row.session_id,
  tokenHash: new Uint8Array(row.token_hash),
  parentId: row.parent_id ?? undefined,
  createdAt: row.created_at,
  usedAt: row.used_at ?? undefined,
  replacedBy: row.replaced_by ?? undefined,
});

/** Row-level security confines every statement to the transaction's tenant. */
export class PgSessionRepository implements SessionRepository {
  constructor(
    private readonly trx: Knex.Transaction,
    private readonly tenantId: string,
  ) {}

  async insertSession(s: Session): Promise<void> {
    await this.trx(SESSIONS).insert({
      tenant_id: s.tenantId,
      id: s.id,
      user_id: s.userId,
      user_agent: s.userAgent ?? null,
      ip: s.ip ?? null,
      created_at: s.createdAt,
      last_used_at: s.lastUsedAt,
      idle_expires_at: s.idleExpiresAt,
      absolute_expires_at: s.absoluteExpiresAt,
      revoked_at: s.revokedAt ?? null,
      revoked_reason: s.revokedReason ?? null,
    });
  }

  async findSession(id: string): Promise<Session | undefined> {
    if (!isUuid(id)) return undefined;
    const row = await this.trx<SessionRow>(SESSIONS).where({ id }).first();
    return row === undefined ? undefined : toSession(row);
  }

  async lockSession(id: string): Promise<Session | undefined> {
    if (!isUuid(id)) return undefined;
    const row = await this.trx<SessionRow>(SESSIONS).where({ id }).forUpdate().first();
    return row === undefined ? undefined : toSession(row);
  }

  async touchSession(id: string, lastUsedAt: Date, idleExpiresAt: Date): Promise<void> {
    await this.trx(SESSIONS)
      .where({ id })
      .update({ last_used_at: lastUsedAt, idle_expires_at: idleExpiresAt });
  }

  async revokeSession(id: string, at: Date, reason: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    const count = await this.trx(SESSIONS)
      .where({ id })
      .whereNull('revoked_at')
      .update({ revoked_at: at, revoked_reason: reason });
    return count > 0;
  }

  async revokeSessionsOfUser(
    userId: string,
    at: Date,
    reason: string,
    exceptId?: string,
  ): Promise<string[]> {
    if (!isUuid(userId)) return [];
    const query = this.trx<SessionRow>(SESSIONS)
      .where({ user_id: userId })
      .whereNull('revoked_at')
      .update({ revoked_at: at, revoked_reason: reason }, ['id']);
    if (exceptId !== undefined && isUuid(exceptId)) void query.whereNot({ id: exceptId });
    const rows = (await query) as unknown as { id: string }[];
    return rows.map((row) => row.id);
  }

  async listLiveSessionsOfUser(userId: string, now: Date, query: PageQuery): Promise<Session[]> {
    if (!isUuid(userId)) return [];
    const builder = this.trx<SessionRow>(SESSIONS)
      .where({ user_id: userId })
      .whereNull('revoked_at')
      .where('idle_expires_at', '>', now)
      .where('absolute_expires_at', '>', now)
      .orderBy('id')
      .limit(query.limit + 1);
    if (query.after !== undefined) {
      if (!isUuid(query.after)) return [];
      void builder.where('id', '>', query.after);
    }
    return (await builder).map(toSession);
  }

  async insertRefreshToken(t: RefreshTokenRecord): Promise<void> {
    await this.trx(TOKENS).insert({
      tenant_id: t.tenantId,
      id: t.id,
      session_id: t.sessionId,
      token_hash: Buffer.from(t.tokenHash),
      parent_id: t.parentId ?? null,
      created_at: t.createdAt,
      used_at: t.usedAt ?? null,
      replaced_by: t.replacedBy ?? null,
    });
  }

  async findRefreshTokenByHash(tokenHash: Uint8Array): Promise<RefreshTokenRecord | undefined> {
    const row = await this.trx<RefreshTokenRow>(TOKENS)
      .where({ token_hash: Buffer.from(tokenHash) })
      .first();
    return row === undefined ? undefined : toToken(row);
  }

  async findRefreshToken(id: string): Promise<RefreshTokenRecord | undefined> {
    if (!isUuid(id)) return undefined;
    const row = await this.trx<RefreshTokenRow>(TOKENS).where({ id }).first();
    return row === undefined ? undefined : toToken(row);
  }

  async claimRefreshToken(
    id: string,
    at: Date,
    successorId: string,
  ): Promise<RefreshTokenRecord | undefined> {
    if (!isUuid(id)) return undefined;
    const rows: RefreshTokenRow[] = await this.trx<RefreshTokenRow>(TOKENS)
      .where({ id })
      .whereNull('used_at')
      .update({ used_at: at, replaced_by: successorId }, '*');
    const row = rows[0];
    return row === undefined ? undefined : toToken(row);
  }

  /** The tenant this repository is bound to (the policy enforces it; kept for debugging). */
  get boundTenant(): string {
    return this.tenantId;
  }
}

/**
 * A transaction per unit of work with the tenant set transaction-locally, like PgUnitOfWork;
 * inside a request transaction (idempotent calls), a savepoint of it.
 */
export class PgSessionStore implements SessionStore {
  constructor(private readonly db: Knex) {}

  inTenant<T>(tenantId: string, work: (sessions: SessionRepository) => Promise<T>): Promise<T> {
    return inTenantTransaction(this.db, tenantId, (trx) => this.run(trx, tenantId, work));
  }

  private async run<T>(
    trx: Knex.Transaction,
    tenantId: string,
    work: (sessions: SessionRepository) => Promise<T>,
  ): Promise<T> {
    const state = { failed: false };
    const repository = trackFailures(new PgSessionRepository(trx, tenantId), () => {
      state.failed = true;
    });
    const result = await work(repository);
    if (state.failed) throw abortedUnitOfWork();
    return result;
  }
}
