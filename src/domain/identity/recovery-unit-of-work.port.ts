import type { Notifier } from '../notification/notifier.port.js';
import type { UserTokenRepository } from './user-token.repository.port.js';
import type { UserRepository } from './user.repository.port.js';

/** What the recovery flows touch, bound to one tenant and one transaction. */
export interface RecoveryScope {
  readonly tenantId: string;
  readonly users: UserRepository;
  readonly tokens: UserTokenRepository;
  /** Mail queued here is sent only if the transaction commits. */
  readonly notifier: Notifier;
}

/** Like `UnitOfWork`, with one-time tokens and the mail outbox in the same transaction. */
export interface RecoveryUnitOfWork {
  inTenant<T>(tenantId: string, work: (scope: RecoveryScope) => Promise<T>): Promise<T>;
}
