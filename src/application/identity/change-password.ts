import type { AuditLog } from '../../domain/audit/audit-log.port.js';
import {
  invalidCredentials,
  passwordChangedMeanwhile,
  userNotFound,
} from '../../domain/identity/identity.errors.js';
import type { PasswordHasher } from '../../domain/identity/password-hasher.port.js';
import {
  checkNewPassword,
  checkPresentedPassword,
  type PasswordPolicy,
} from '../../domain/identity/password-policy.js';
import type { SessionRevoker } from '../../domain/identity/session-revoker.port.js';
import type { Clock } from '../../domain/shared/clock.port.js';
import type { IdGenerator } from '../../domain/shared/id-generator.port.js';
import type { UnitOfWork } from '../../domain/shared/unit-of-work.port.js';
import type { Actor } from '../shared/actor.js';
import { auditActorOf, type AuditContext } from '../shared/audit-context.js';
import { inOneTransaction } from '../shared/in-one-transaction.js';
import type { JoinedTransactions } from '../../domain/shared/request-transactions.port.js';

export interface ChangePasswordInput {
  readonly currentPassword: string;
  readonly newPassword: string;
}

/**
 * The calling user changes their own password (in their home tenant), proving the current
 * one; their other sessions end. Hashing runs outside any unit of work.
 *
 * Failures: INVALID_ARGUMENT (current_password, new_password), INVALID_CREDENTIALS (wrong
 * current password), USER_NOT_FOUND (service principals, a user gone or disabled meanwhile),
 * PASSWORD_CHANGED_MEANWHILE (ABORTED, retryable: the stored hash changed while the current
 * password was checked against it, by a reset or a login's rehash).
 */
export class PasswordChanger {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly hasher: PasswordHasher,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly audit: AuditLog,
    private readonly sessions: SessionRevoker | undefined,
    private readonly policy: PasswordPolicy,
    /** The new hash, the other sessions' end and the event: one transaction (not the hashing). */
    private readonly transactions: JoinedTransactions,
  ) {}

  async run(actor: Actor, input: ChangePasswordInput, context: AuditContext = {}): Promise<void> {
    const current = checkPresentedPassword('current_password', input.currentPassword);
    const next = checkNewPassword('new_password', input.newPassword, this.policy);
    const { principal } = actor;
    if (principal.kind !== 'user') throw userNotFound();
    const tenantId = principal.tenantId;
    const user = await this.uow.inTenant(tenantId, (scope) =>
      scope.users.findById(principal.subjectId),
    );
    if (user?.status !== 'active') throw userNotFound();
    const audited = (outcome: 'success' | 'failure', reason?: string): Promise<void> =>
      this.audit.append([
        {
          tenantId,
          id: this.ids.newId(),
          occurredAt: this.clock.now(),
          actor: auditActorOf(actor, context),
          action: 'auth.password.changed',
          target: { type: 'user', id: user.id },
          outcome,
          details: reason === undefined ? {} : { reason },
        },
      ]);
    if (!(await this.hasher.verify(user.passwordHash, current))) {
      await audited('failure', 'wrong_password');
      throw invalidCredentials();
    }
    const passwordHash = await this.hasher.hash(next);
    await inOneTransaction(this.transactions, tenantId, async () => {
      await this.uow.inTenant(tenantId, async (scope) => {
        const fresh = await scope.users.findByIdForUpdate(user.id);
        // Checked again under the lock: the user may have been disabled, or the hash replaced
        // (a reset, a login's rehash), while the presented password was checked against it.
        if (fresh?.status !== 'active') throw userNotFound();
        if (fresh.passwordHash !== user.passwordHash) throw passwordChangedMeanwhile();
        await scope.users.update({ ...fresh, passwordHash });
      });
      await this.sessions?.revokeAllOfUser(
        tenantId,
        user.id,
        { actor: auditActorOf(actor, context), reason: 'password_changed' },
        principal.sessionId,
      );
      await audited('success');
    });
  }
}
