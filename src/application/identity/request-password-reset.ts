import type { AuditLog } from '../../domain/audit/audit-log.port.js';
import { parseEmail } from '../../domain/identity/email.js';
import type { OneTimeSecrets } from '../../domain/identity/one-time-secrets.port.js';
import type { RecoveryThrottle } from '../../domain/identity/recovery-throttle.port.js';
import type { RecoveryUnitOfWork } from '../../domain/identity/recovery-unit-of-work.port.js';
import { formatUserToken } from '../../domain/identity/user-token.js';
import { isUserActive } from '../../domain/identity/user.js';
import { passwordResetMail } from '../../domain/notification/notification.js';
import type { Clock } from '../../domain/shared/clock.port.js';
import type { IdGenerator } from '../../domain/shared/id-generator.port.js';
import type { JoinedTransactions } from '../../domain/shared/request-transactions.port.js';
import { isTenantUsable } from '../../domain/tenancy/tenant.js';
import type { TenantDirectory } from '../../domain/tenancy/tenant-directory.port.js';
import { parseTenantSlug } from '../../domain/tenancy/tenant-slug.js';
import type { AuditContext } from '../shared/audit-context.js';
import { inOneTransaction } from '../shared/in-one-transaction.js';

export interface RequestPasswordResetInput {
  readonly tenantSlug: string;
  readonly email: string;
}

/**
 * Mails a single-use reset token to an active user of a usable tenant. The answer (and the
 * work: one secret, one unit of work) is the same whether or not the tenant and email exist;
 * requests are capped per (tenant, email) and per ip either way. A new token supersedes the
 * user's unused ones.
 *
 * Failures: INVALID_ARGUMENT (tenant_slug, email), TOO_MANY_REQUESTS.
 */
export class PasswordResetRequester {
  constructor(
    private readonly directory: TenantDirectory,
    private readonly uow: RecoveryUnitOfWork,
    private readonly secrets: OneTimeSecrets,
    private readonly throttle: RecoveryThrottle,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly audit: AuditLog,
    /** The token, its mail (outbox) and the event commit together, or none of them. */
    private readonly transactions: JoinedTransactions,
    private readonly ttlMs: number,
    /** The web app's public address: the mail then links to `/reset-password?token=...`. */
    private readonly appBaseUrl?: string,
  ) {}

  async run(input: RequestPasswordResetInput, context: AuditContext = {}): Promise<void> {
    const slug = parseTenantSlug('tenant_slug', input.tenantSlug);
    const { normalized } = parseEmail('email', input.email);
    await this.throttle.consume({ tenantSlug: slug, email: normalized, ip: context.ip });
    const secret = this.secrets.newSecret();
    const tokenHash = this.secrets.hash(secret);
    const tenant = await this.directory.bySlug(slug);
    if (tenant === undefined || !isTenantUsable(tenant.status)) return;
    await inOneTransaction(this.transactions, tenant.id, () =>
      this.issueAndRecord(tenant.id, normalized, secret, tokenHash, context),
    );
  }

  private async issueAndRecord(
    tenantId: string,
    normalized: string,
    secret: string,
    tokenHash: Uint8Array,
    context: AuditContext,
  ): Promise<void> {
    const userId = await this.uow.inTenant(tenantId, async (scope) => {
      const user = await scope.users.findByEmail(normalized);
      if (user === undefined || !isUserActive(user)) return undefined;
      const now = this.clock.now();
      const expiresAt = new Date(now.getTime() + this.ttlMs);
      await scope.tokens.supersede(user.id, 'password_reset', now);
      await scope.tokens.insert({
        tenantId,
        id: this.ids.newId(),
        userId: user.id,
        purpose: 'password_reset',
        tokenHash,
        expiresAt,
        usedAt: undefined,
        createdAt: now,
      });
      await scope.notifier.notify(
        passwordResetMail(
          user.email,
          formatUserToken(tenantId, secret),
          expiresAt,
          this.appBaseUrl,
        ),
      );
      return user.id;
    });
    if (userId === undefined) return;
    await this.audit.append([
      {
        tenantId,
        id: this.ids.newId(),
        occurredAt: this.clock.now(),
        actor: { kind: 'anonymous', ip: context.ip, requestId: context.requestId },
        action: 'auth.password.reset_requested',
        target: { type: 'user', id: userId },
        outcome: 'success',
        details: {},
      },
    ]);
  }
}
