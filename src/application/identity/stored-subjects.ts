import { sessionsUnavailable } from '../../domain/identity/session.js';
import type { UserReader } from '../../domain/identity/subject-changes.port.js';
import { type User } from '../../domain/identity/user.js';
import type { UnitOfWork } from '../../domain/shared/unit-of-work.port.js';
import { isUuid } from '../../domain/shared/uuid.js';

/**
 * The database answers behind the subject caches: a user as stored, and whether a service
 * account still exists. Anything that is not a UUID is unknown without a query. A failing
 * store is UNAVAILABLE (retry), never a false "disabled" or "deleted".
 */
export class StoredSubjects implements UserReader {
  constructor(private readonly uow: UnitOfWork) {}

  async byId(tenantId: string, userId: string): Promise<User | undefined> {
    if (!isUuid(tenantId) || !isUuid(userId)) return undefined;
    try {
      return await this.uow.inTenant(tenantId, (scope) => scope.users.findById(userId));
    } catch {
      throw sessionsUnavailable();
    }
  }

  async serviceAccountExists(tenantId: string, accountId: string): Promise<boolean> {
    if (!isUuid(tenantId) || !isUuid(accountId)) return false;
    try {
      const account = await this.uow.inTenant(tenantId, (scope) =>
        scope.serviceAccounts.findById(accountId),
      );
      return account !== undefined;
    } catch {
      throw sessionsUnavailable();
    }
  }
}
