import { userEmailTaken, userNotFound } from '../../../domain/identity/identity.errors.js';
import type {
  PasswordRehash,
  UserRepository,
} from '../../../domain/identity/user.repository.port.js';
import {
  compareUsersByCursor,
  encodeUserCursor,
  parseUserCursor,
  type User,
} from '../../../domain/identity/user.js';
import { pageFrom, type Page, type PageQuery } from '../../../domain/shared/page.js';
import { foreignKeyViolation, rlsViolation, rowKey, uniqueViolation } from './memory-database.js';
import type { MemoryTransaction } from './memory-transaction.js';

/** Users of the scope's tenant, as the `users` policy allows. */
export class InMemoryUserRepository implements UserRepository {
  constructor(
    private readonly tx: MemoryTransaction,
    private readonly scopeTenantId: string,
  ) {}

  insert(user: User): Promise<void> {
    const scope = this.scopeTenantId;
    return run(() => {
      this.tx.write((tables) => {
        const tenantId = user.tenantId.toLowerCase();
        if (tenantId !== scope) throw rlsViolation('users');
        const key = rowKey(tenantId, user.id);
        if (tables.users.has(key)) throw uniqueViolation('users_pkey');
        const emailTaken = [...tables.users.values()].some(
          (other) =>
            other.tenantId.toLowerCase() === tenantId &&
            other.emailNormalized === user.emailNormalized,
        );
        if (emailTaken) throw userEmailTaken();
        if (!tables.tenants.has(tenantId)) throw foreignKeyViolation('users', 'users_tenant_fkey');
        tables.users.set(key, { ...user });
      });
    });
  }

  findByEmail(emailNormalized: string): Promise<User | undefined> {
    return run(() =>
      this.tx.read((tables) =>
        [...tables.users.values()].find(
          (user) =>
            user.tenantId.toLowerCase() === this.scopeTenantId &&
            user.emailNormalized === emailNormalized,
        ),
      ),
    );
  }

  /**
   * The same as `findById`: memory units of work run on snapshots and hold no row locks, so this
   * twin does not show the lock (test/postgres/user-row-lock.test.ts does, on Postgres).
   */
  findByIdForUpdate(id: string): Promise<User | undefined> {
    return this.findById(id);
  }

  findById(id: string): Promise<User | undefined> {
    return run(() => this.tx.read((tables) => tables.users.get(rowKey(this.scopeTenantId, id))));
  }

  list(query: PageQuery): Promise<Page<User>> {
    return run(() =>
      this.tx.read((tables) => {
        const after = query.after === undefined ? undefined : parseUserCursor('after', query.after);
        const rows = [...tables.users.values()]
          .filter((user) => user.tenantId.toLowerCase() === this.scopeTenantId)
          .filter((user) => after === undefined || compareUsersByCursor(user, after) > 0)
          .sort(compareUsersByCursor)
          .slice(0, query.limit + 1);
        return pageFrom(rows, query.limit, encodeUserCursor);
      }),
    );
  }

  update(user: User): Promise<void> {
    const key = rowKey(this.scopeTenantId, user.id);
    return run(() => {
      this.tx.write((tables) => {
        const existing = tables.users.get(key);
        if (existing === undefined) throw userNotFound();
        const emailTaken = [...tables.users.values()].some(
          (other) =>
            other.tenantId.toLowerCase() === this.scopeTenantId &&
            other.id.toLowerCase() !== existing.id.toLowerCase() &&
            other.emailNormalized === user.emailNormalized,
        );
        if (emailTaken) throw userEmailTaken();
        tables.users.set(key, {
          ...user,
          tenantId: existing.tenantId,
          id: existing.id,
          createdAt: existing.createdAt,
        });
      });
    });
  }

  recordLogin(id: string, at: Date, rehash?: PasswordRehash): Promise<void> {
    const key = rowKey(this.scopeTenantId, id);
    return run(() => {
      // Replayed on commit against the rows as they are then, so the guard sees a newer hash.
      this.tx.write((tables) => {
        const user = tables.users.get(key);
        if (user === undefined) return;
        const rehashed = rehash?.from === user.passwordHash;
        tables.users.set(key, {
          ...user,
          lastLoginAt: at,
          passwordHash: rehashed ? rehash.to : user.passwordHash,
        });
      });
    });
  }
}

const run = <T>(statement: () => T): Promise<T> =>
  new Promise((resolve) => {
    resolve(statement());
  });
