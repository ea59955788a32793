import type { AuditLog } from '../../domain/audit/audit-log.port.js';
import type { OneTimeSecrets } from '../../domain/identity/one-time-secrets.port.js';
import type { PasswordHasher } from '../../domain/identity/password-hasher.port.js';
import { checkNewPassword, type PasswordPolicy } from '../../domain/identity/password-policy.js';
import type { RecoveryUnitOfWork } from '../../domain/identity/recovery-unit-of-work.port.js';
import type { SessionRevoker } from '../../domain/identity/session-revoker.port.js';
import {
  invalidOrExpiredToken,
  isUserTokenUsable,
  parseUserToken,
} from '../../domain/identity/user-token.js';
import { isUserActive } from '../../domain/identity/user.js';
import type { Clock } from '../../domain/shared/clock.port.js';
import type { IdGenerator } from '../../domain/shared/id-generator.port.js';
import type { AuditContext } from '../shared/audit-context.js';
import { inOneTransaction } from '../shared/in-one-transaction.js';
import type { JoinedTransactions } from '../../domain/shared/request-transactions.port.js';

export interface ResetPasswordInput {
  readonly token: string;
  readonly newPassword: string;
}

/**
 * Sets a new password with a mailed reset token: the token is checked before hashing, then,
 * in one transaction, marked used (once, even under races) and the password written. Every
 * session of the user ends.
 *
 * Failures: INVALID_ARGUMENT (token, new_password), INVALID_OR_EXPIRED_TOKEN.
 */
export class PasswordResetter {
  constructor(
    private readonly uow: RecoveryUnitOfWork,
    private readonly secrets: OneTimeSecrets,
    private readonly hasher: PasswordHasher,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly audit: AuditLog,
    private readonly sessions: SessionRevoker | undefined,
    private readonly policy: PasswordPolicy,
    /** The new hash, the used token, the sessions' end and the event: one transaction. */
    private readonly transactions: JoinedTransactions,
  ) {}

  async run(input: ResetPasswordInput, context: AuditContext = {}): Promise<void> {
    const presented = parseUserToken('token', input.token);
    const password = checkNewPassword('new_password', input.newPassword, this.policy);
    const tokenHash = this.secrets.hash(presented.secret);
    const { tenantId } = presented;
    // A cheap check first, so a bad token costs no hashing.
    await this.uow.inTenant(tenantId, async (scope) => {
      const token = await scope.tokens.findByHash(tokenHash, 'password_reset');
      if (token === undefined || !isUserTokenUsable(token, this.clock.now())) {
        throw invalidOrExpiredToken();
      }
    });
    const passwordHash = await this.hasher.hash(password);
    await inOneTransaction(this.transactions, tenantId, () =>
      this.resetAndRecord(tenantId, tokenHash, passwordHash, context),
    );
  }

  private async resetAndRecord(
    tenantId: string,
    tokenHash: Uint8Array,
    passwordHash: string,
    context: AuditContext,
  ): Promise<void> {
    const userId = await this.uow.inTenant(tenantId, async (scope) => {
      const now = this.clock.now();
      const token = await scope.tokens.findByHash(tokenHash, 'password_reset');
      if (token === undefined || !isUserTokenUsable(token, now)) throw invalidOrExpiredToken();
      const user = await scope.users.findByIdForUpdate(token.userId);
      if (user === undefined || !isUserActive(user)) throw invalidOrExpiredToken();
      if (!(await scope.tokens.markUsed(token.id, now))) throw invalidOrExpiredToken();
      await scope.users.update({ ...user, passwordHash });
      return user.id;
    });
    await this.sessions?.revokeAllOfUser(tenantId, userId, {
      actor: { kind: 'anonymous', ip: context.ip, requestId: context.requestId },
      reason: 'password_reset',
    });
    await this.audit.append([
      {
        tenantId,
        id: this.ids.newId(),
        occurredAt: this.clock.now(),
        actor: { kind: 'anonymous', ip: context.ip, requestId: context.requestId },
        action: 'auth.password.reset',
        target: { type: 'user', id: userId },
        outcome: 'success',
        details: {},
      },
    ]);
  }
}
