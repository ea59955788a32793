import type { AuditLog } from '../../domain/audit/audit-log.port.js';
import { cannotDisableSelf, userNotFound } from '../../domain/identity/identity.errors.js';
import type { SessionRevoker } from '../../domain/identity/session-revoker.port.js';
import { disableUser, type User } from '../../domain/identity/user.js';
import type { Clock } from '../../domain/shared/clock.port.js';
import type { IdGenerator } from '../../domain/shared/id-generator.port.js';
import type { JoinedTransactions } from '../../domain/shared/request-transactions.port.js';
import type { UnitOfWork } from '../../domain/shared/unit-of-work.port.js';
import { parseUuid } from '../../domain/shared/uuid.js';
import type { Actor } from '../shared/actor.js';
import { auditActorOf, type AuditContext } from '../shared/audit-context.js';
import { inOneTransaction } from '../shared/in-one-transaction.js';

/**
 * Disables a user of the acting tenant, so it can no longer log in, and ends its sessions:
 * the change, its `auth.user.disabled` event and the sessions' end commit together or not at
 * all. Idempotent: disabling a disabled user succeeds, changes nothing and records nothing.
 * Nobody disables themselves (that would lock the last administrator out): CANNOT_DISABLE_SELF.
 */
export class UserDisabler {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly audit: AuditLog,
    /** Ends the user's sessions (every replica stops accepting their tokens). */
    private readonly sessions: SessionRevoker | undefined,
    /** Joins the request's transaction, or opens one. */
    private readonly transactions: JoinedTransactions,
  ) {}

  async run(actor: Actor, rawId: string, context: AuditContext = {}): Promise<User> {
    const id = parseUuid('id', rawId);
    const { principal } = actor;
    if (principal.tenantId === actor.tenantId && principal.subjectId.toLowerCase() === id) {
      throw cannotDisableSelf();
    }
    const { tenantId } = actor;
    return inOneTransaction(this.transactions, tenantId, async () => {
      const { before, after } = await this.uow.inTenant(tenantId, async (scope) => {
        const user = await scope.users.findByIdForUpdate(id);
        if (user === undefined) throw userNotFound();
        const next = disableUser(user);
        if (next !== user) await scope.users.update(next);
        return { before: user, after: next };
      });
      if (after !== before) {
        await this.audit.append([
          {
            tenantId,
            id: this.ids.newId(),
            occurredAt: this.clock.now(),
            actor: auditActorOf(actor, context),
            action: 'auth.user.disabled',
            target: { type: 'user', id },
            outcome: 'success',
            details: { 'before.status': before.status, 'after.status': after.status },
          },
        ]);
      }
      // Also when it was disabled already: sessions begun around the first call end too.
      await this.sessions?.revokeAllOfUser(tenantId, id, {
        actor: auditActorOf(actor, context),
        reason: 'user_disabled',
      });
      return after;
    });
  }
}
