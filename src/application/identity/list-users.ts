import { encodeUserCursor, parseUserCursor, type User } from '../../domain/identity/user.js';
import { pageQuery, type Page } from '../../domain/shared/page.js';
import type { UnitOfWork } from '../../domain/shared/unit-of-work.port.js';
import type { Actor } from '../shared/actor.js';

export interface ListUsersInput {
  readonly pageSize: number;
  /** The decoded page token: the cursor of the previous page's last user. */
  readonly after: string | undefined;
}

/** The acting tenant's users, oldest first (ties broken by id), page by page. */
export class UserLister {
  constructor(private readonly uow: UnitOfWork) {}

  async run(actor: Actor, input: ListUsersInput): Promise<Page<User>> {
    // Anything but a cursor this server made is not our token; re-encoded canonically.
    const after =
      input.after === undefined
        ? undefined
        : encodeUserCursor(parseUserCursor('page.page_token', input.after));
    const query = pageQuery('page', input.pageSize, after);
    return this.uow.inTenant(actor.tenantId, (scope) => scope.users.list(query));
  }
}
