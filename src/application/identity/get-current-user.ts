import { userNotFound } from '../../domain/identity/identity.errors.js';
import type { UserReader } from '../../domain/identity/subject-changes.port.js';
import type { User } from '../../domain/identity/user.js';
import type { Actor } from '../shared/actor.js';

/**
 * The calling user, read in the principal's own tenant (a platform operator acting in another
 * tenant is still a user of the platform tenant). Service principals are not users:
 * USER_NOT_FOUND. Read through a cache that every replica drops when the user changes.
 */
export class CurrentUserReader {
  constructor(private readonly users: UserReader) {}

  async run(actor: Actor): Promise<User> {
    const { principal } = actor;
    if (principal.kind !== 'user') throw userNotFound();
    const user = await this.users.byId(principal.tenantId, principal.subjectId);
    if (user === undefined) throw userNotFound();
    return user;
  }
}
