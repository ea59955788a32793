import { userNotFound } from '../../domain/identity/identity.errors.js';
import type { User } from '../../domain/identity/user.js';
import type { UnitOfWork } from '../../domain/shared/unit-of-work.port.js';
import type { Actor } from '../shared/actor.js';

/**
 * The calling user, read in the principal's own tenant (a platform operator acting in another
 * tenant is still a user of the platform tenant). Service principals are not users:
 * USER_NOT_FOUND.
 */
export class CurrentUserReader {
  constructor(private readonly uow: UnitOfWork) {}

  async run(actor: Actor): Promise<User> {
    const { principal } = actor;
    if (principal.kind !== 'user') throw userNotFound();
    const user = await this.uow.inTenant(principal.tenantId, (scope) =>
      scope.users.findById(principal.subjectId),
    );
    if (user === undefined) throw userNotFound();
    return user;
  }
}
