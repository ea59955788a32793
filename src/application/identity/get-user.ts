import { userNotFound } from '../../domain/identity/identity.errors.js';
import type { User } from '../../domain/identity/user.js';
import type { UnitOfWork } from '../../domain/shared/unit-of-work.port.js';
import { parseUuid } from '../../domain/shared/uuid.js';
import type { Actor } from '../shared/actor.js';

/** A user of the acting tenant; other tenants' users are USER_NOT_FOUND, like missing ones. */
export class UserFinder {
  constructor(private readonly uow: UnitOfWork) {}

  async run(actor: Actor, rawId: string): Promise<User> {
    const id = parseUuid('id', rawId);
    const user = await this.uow.inTenant(actor.tenantId, (scope) => scope.users.findById(id));
    if (user === undefined) throw userNotFound();
    return user;
  }
}
