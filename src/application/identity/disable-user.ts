import { cannotDisableSelf, userNotFound } from '../../domain/identity/identity.errors.js';
import type { SessionRevoker } from '../../domain/identity/session-revoker.port.js';
import { disableUser, type User } from '../../domain/identity/user.js';
import type { UnitOfWork } from '../../domain/shared/unit-of-work.port.js';
import { parseUuid } from '../../domain/shared/uuid.js';
import type { Actor } from '../shared/actor.js';
import { auditActorOf, type AuditContext } from '../shared/audit-context.js';

/**
 * Disables a user of the acting tenant, so it can no longer log in, and ends its sessions. Idempotent: disabling a
 * disabled user succeeds and changes nothing. Nobody disables themselves (that would lock the
 * last administrator out): CANNOT_DISABLE_SELF.
 */
export class UserDisabler {
  constructor(
    private readonly uow: UnitOfWork,
    /** Ends the user's sessions (every replica stops accepting their tokens). */
    private readonly sessions?: SessionRevoker,
  ) {}

  async run(actor: Actor, rawId: string, context: AuditContext = {}): Promise<User> {
    const id = parseUuid('id', rawId);
    const { principal } = actor;
    if (principal.tenantId === actor.tenantId && principal.subjectId.toLowerCase() === id) {
      throw cannotDisableSelf();
    }
    const disabled = await this.uow.inTenant(actor.tenantId, async (scope) => {
      const user = await scope.users.findById(id);
      if (user === undefined) throw userNotFound();
      const next = disableUser(user);
      if (next !== user) await scope.users.update(next);
      return next;
    });
    // Also when it was disabled already: a retry finishes what a failed first attempt began.
    await this.sessions?.revokeAllOfUser(actor.tenantId, id, {
      actor: auditActorOf(actor, context),
      reason: 'user_disabled',
    });
    return disabled;
  }
}
