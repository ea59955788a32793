import type { ServiceAccountRepository } from '../../domain/identity/service-account.repository.port.js';
import type { SubjectChanges } from '../../domain/identity/subject-changes.port.js';
import type { User } from '../../domain/identity/user.js';
import type { PasswordRehash, UserRepository } from '../../domain/identity/user.repository.port.js';

/** The shape shared by `UnitOfWork` and `RecoveryUnitOfWork`. */
interface TenantWork<S> {
  inTenant<T>(tenantId: string, work: (scope: S) => Promise<T>): Promise<T>;
}

interface SubjectScope {
  readonly users: UserRepository;
  readonly serviceAccounts?: ServiceAccountRepository;
}

/**
 * Wraps a unit of work so every user or service account it changes is announced on
 * `SubjectChanges` once the work has succeeded (the feed itself waits for the enclosing
 * request transaction, if any, to commit). Catching the writes here, rather than in each use
 * case, means a new flow that edits a user cannot forget to refresh the caches.
 */
export class SubjectChangeAnnouncer<S extends SubjectScope> implements TenantWork<S> {
  constructor(
    private readonly inner: TenantWork<S>,
    private readonly changes: SubjectChanges,
  ) {}

  async inTenant<T>(tenantId: string, work: (scope: S) => Promise<T>): Promise<T> {
    const touched = new Set<string>();
    const result = await this.inner.inTenant(tenantId, (scope) =>
      work(this.watched(scope, touched)),
    );
    if (touched.size > 0) {
      this.changes.changed([...touched].map((subjectId) => ({ tenantId, subjectId })));
    }
    return result;
  }

  private watched(scope: S, touched: Set<string>): S {
    const watched: S = { ...scope, users: new WatchedUsers(scope.users, touched) };
    const accounts = scope.serviceAccounts;
    return accounts === undefined
      ? watched
      : { ...watched, serviceAccounts: new WatchedServiceAccounts(accounts, touched) };
  }
}

class WatchedUsers implements UserRepository {
  constructor(
    private readonly inner: UserRepository,
    private readonly touched: Set<string>,
  ) {}

  insert(user: User): Promise<void> {
    return this.inner.insert(user);
  }

  findByEmail(emailNormalized: string): Promise<User | undefined> {
    return this.inner.findByEmail(emailNormalized);
  }

  findById(id: string): Promise<User | undefined> {
    return this.inner.findById(id);
  }

  findByIdForUpdate(id: string): Promise<User | undefined> {
    return this.inner.findByIdForUpdate(id);
  }

  list(...args: Parameters<UserRepository['list']>): ReturnType<UserRepository['list']> {
    return this.inner.list(...args);
  }

  async update(user: User): Promise<void> {
    await this.inner.update(user);
    this.touched.add(user.id.toLowerCase());
  }

  async recordLogin(id: string, at: Date, rehash?: PasswordRehash): Promise<void> {
    await this.inner.recordLogin(id, at, rehash);
    this.touched.add(id.toLowerCase());
  }
}

class WatchedServiceAccounts implements ServiceAccountRepository {
  constructor(
    private readonly inner: ServiceAccountRepository,
    private readonly touched: Set<string>,
  ) {}

  insert(...args: Parameters<ServiceAccountRepository['insert']>): Promise<void> {
    return this.inner.insert(...args);
  }

  findById(...args: Parameters<ServiceAccountRepository['findById']>) {
    return this.inner.findById(...args);
  }

  findByClientId(...args: Parameters<ServiceAccountRepository['findByClientId']>) {
    return this.inner.findByClientId(...args);
  }

  list(...args: Parameters<ServiceAccountRepository['list']>) {
    return this.inner.list(...args);
  }

  updateSecret(...args: Parameters<ServiceAccountRepository['updateSecret']>): Promise<boolean> {
    return this.inner.updateSecret(...args);
  }

  async markDeleted(id: string, at: Date): Promise<boolean> {
    const deleted = await this.inner.markDeleted(id, at);
    if (deleted) this.touched.add(id.toLowerCase());
    return deleted;
  }
}
