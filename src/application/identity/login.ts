import type { AuditDetailValue, AuditEvent } from '../../domain/audit/audit-event.js';
import type { AuditLog } from '../../domain/audit/audit-log.port.js';
import type {
  AccessTokenIssuer,
  IssuedAccessToken,
} from '../../domain/identity/access-token.port.js';
import { parseEmail } from '../../domain/identity/email.js';
import { invalidCredentials } from '../../domain/identity/identity.errors.js';
import type { LoginAttempt, LoginThrottle } from '../../domain/identity/login-throttle.port.js';
import type { PasswordHasher } from '../../domain/identity/password-hasher.port.js';
import { checkPresentedPassword } from '../../domain/identity/password-policy.js';
import type { Clock } from '../../domain/shared/clock.port.js';
import { isDomainError } from '../../domain/shared/errors.js';
import type { IdGenerator } from '../../domain/shared/id-generator.port.js';
import { PLATFORM_TENANT_ID } from '../../domain/shared/platform-tenant.js';
import type { JoinedTransactions } from '../../domain/shared/request-transactions.port.js';
import type { UnitOfWork } from '../../domain/shared/unit-of-work.port.js';
import { isTenantUsable } from '../../domain/tenancy/tenant.js';
import type { TenantDirectory } from '../../domain/tenancy/tenant-directory.port.js';
import { parseTenantSlug } from '../../domain/tenancy/tenant-slug.js';
import type { AuditContext } from '../shared/audit-context.js';
import { inOneTransaction } from '../shared/in-one-transaction.js';
import type { IssuedRefreshToken, SessionManager, SessionOrigin } from './sessions.js';

export interface LoginInput {
  readonly tenantSlug: string;
  readonly email: string;
  readonly password: string;
}

/** The access token, and when sessions are on, the session's first refresh token. */
export interface LoginResult extends IssuedAccessToken {
  readonly refresh?: IssuedRefreshToken | undefined;
}

/** The attempt being audited: where it is recorded and what it is about. */
interface AttemptRecord {
  readonly auditTenantId: string;
  readonly userId: string | undefined;
  readonly details: Readonly<Record<string, AuditDetailValue>>;
}

/**
 * Password login. Unknown tenant, suspended tenant, unknown email, disabled user and wrong
 * password all end in the same error after the same amount of hashing work, and all count
 * towards the same lock: a locked (tenant, email) or source ip is refused before any password
 * is verified, right or wrong, existing or not.
 *
 * Every attempt is audited in the tenant it names; attempts on an unknown tenant go to the
 * platform tenant's log with the slug they named.
 */
export class PasswordLogin {
  constructor(
    private readonly directory: TenantDirectory,
    private readonly uow: UnitOfWork,
    private readonly hasher: PasswordHasher,
    private readonly tokens: AccessTokenIssuer,
    private readonly clock: Clock,
    private readonly throttle: LoginThrottle,
    private readonly audit: AuditLog,
    private readonly ids: IdGenerator,
    /** Starts a session with a refresh token; without it, logins get an access token only. */
    private readonly sessions?: Pick<SessionManager, 'start'>,
    /**
     * Makes a successful login's writes one transaction: the last login, its event and the
     * session (absent: one after the other).
     */
    private readonly transactions?: JoinedTransactions,
  ) {}

  async run(input: LoginInput, context: SessionOrigin = {}): Promise<LoginResult> {
    const slug = parseTenantSlug('tenant_slug', input.tenantSlug);
    const { normalized } = parseEmail('email', input.email);
    const password = checkPresentedPassword('password', input.password);
    const attempt: LoginAttempt = { tenantSlug: slug, email: normalized, ip: context.ip };

    const tenant = await this.directory.bySlug(slug);
    const record: AttemptRecord = {
      auditTenantId: tenant?.id ?? PLATFORM_TENANT_ID,
      userId: undefined,
      details:
        tenant === undefined ? { email: normalized, tenantSlug: slug } : { email: normalized },
    };
    try {
      await this.throttle.check(attempt);
    } catch (error) {
      if (isDomainError(error) && error.category === 'resource_exhausted') {
        await this.record(record, context, [['auth.login.failed', 'denied', 'throttled']]);
      }
      throw error;
    }

    if (tenant === undefined || !isTenantUsable(tenant.status)) {
      await this.hasher.verifyDummy(password);
      return this.fail(
        attempt,
        record,
        context,
        tenant === undefined ? 'unknown_tenant' : 'tenant_not_active',
      );
    }
    // Hashing happens between two short units of work, never while holding a connection.
    const user = await this.uow.inTenant(tenant.id, (scope) => scope.users.findByEmail(normalized));
    if (user === undefined) {
      await this.hasher.verifyDummy(password);
      return this.fail(attempt, record, context, 'unknown_user');
    }
    const known = { ...record, userId: user.id };
    const ok = await this.hasher.verify(user.passwordHash, password);
    if (!ok) return this.fail(attempt, known, context, 'wrong_password');
    if (user.status !== 'active') return this.fail(attempt, known, context, 'user_not_active');
    const rehash = this.hasher.needsRehash(user.passwordHash)
      ? { from: user.passwordHash, to: await this.hasher.hash(password) }
      : undefined;
    const started = await this.withItsEvent(tenant.id, async () => {
      const roles = await this.uow.inTenant(tenant.id, async (scope) => {
        // Checked again with the row locked, against what the password was verified with: a
        // user disabled meanwhile, or whose password a reset or a change replaced meanwhile
        // (which ended every session), gets no session. Changes after this point end it.
        const current = await scope.users.findByIdForUpdate(user.id);
        if (current?.status !== 'active') return 'user_not_active';
        if (current.passwordHash !== user.passwordHash) return 'password_changed';
        await scope.users.recordLogin(user.id, this.clock.now(), rehash);
        return scope.roles.roleNamesOf(user.id);
      });
      if (typeof roles === 'string') return { refused: roles };
      await this.record(known, context, [['auth.login.succeeded', 'success', undefined]]);
      const session = await this.sessions?.start(tenant.id, user.id, context);
      return { roles, session };
    });
    if (started.refused !== undefined) {
      return this.fail(attempt, known, context, started.refused);
    }
    const { roles, session } = started;
    await this.throttle.recordSuccess(attempt);
    const access = await this.tokens.issue({
      subjectId: user.id,
      tenantId: tenant.id,
      kind: 'user',
      roles,
      sessionId: session?.sessionId,
      amr: ['pwd'],
    });
    return { ...access, refresh: session?.refresh };
  }

  private withItsEvent<T>(tenantId: string, work: () => Promise<T>): Promise<T> {
    return this.transactions === undefined
      ? work()
      : inOneTransaction(this.transactions, tenantId, work);
  }

  private async fail(
    attempt: LoginAttempt,
    record: AttemptRecord,
    context: AuditContext,
    reason: string,
  ): Promise<never> {
    const { locked } = await this.throttle.recordFailure(attempt);
    await this.record(record, context, [
      ['auth.login.failed', 'failure', reason],
      ...(locked ? [['auth.login.locked', 'denied', reason] as const] : []),
    ]);
    throw invalidCredentials();
  }

  private record(
    record: AttemptRecord,
    context: AuditContext,
    entries: readonly (readonly [
      AuditEvent['action'],
      AuditEvent['outcome'],
      string | undefined,
    ])[],
  ): Promise<void> {
    const occurredAt = this.clock.now();
    return this.audit.append(
      entries.map(([action, outcome, reason]): AuditEvent => ({
        tenantId: record.auditTenantId,
        id: this.ids.newId(),
        occurredAt,
        // The attempt is anonymous until it succeeds; a known user is its target.
        actor: {
          subjectId: outcome === 'success' ? record.userId : undefined,
          kind: outcome === 'success' ? 'user' : 'anonymous',
          ip: context.ip,
          requestId: context.requestId,
        },
        action,
        target: record.userId === undefined ? undefined : { type: 'user', id: record.userId },
        outcome,
        details: reason === undefined ? record.details : { ...record.details, reason },
      })),
    );
  }
}
