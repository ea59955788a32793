import type { Knex } from 'knex';

import type {
  RecoveryScope,
  RecoveryUnitOfWork,
} from '../../../domain/identity/recovery-unit-of-work.port.js';
import type { IdGenerator } from '../../../domain/shared/id-generator.port.js';
import { PgOutboxNotifier } from './pg-outbox.js';
import { inTenantTransaction } from './pg-request-transactions.js';
import { PgUserTokenRepository } from './pg-user-token.repository.js';
import { PgUserRepository } from './pg-user.repository.js';
import { abortedUnitOfWork, trackFailures } from './unit-of-work-failures.js';

/**
 * `PgUnitOfWork` for the recovery flows: users, one-time tokens and the mail outbox in one
 * transaction with the tenant set transaction-locally; inside a request transaction it joins
 * it through a savepoint, exactly as PgUnitOfWork does.
 */
export class PgRecoveryUnitOfWork implements RecoveryUnitOfWork {
  constructor(
    private readonly db: Knex,
    private readonly ids: IdGenerator,
  ) {}

  inTenant<T>(tenantId: string, work: (scope: RecoveryScope) => Promise<T>): Promise<T> {
    return inTenantTransaction(this.db, tenantId, (trx) => this.runScope(trx, tenantId, work));
  }

  private async runScope<T>(
    trx: Knex.Transaction,
    tenantId: string,
    work: (scope: RecoveryScope) => Promise<T>,
  ): Promise<T> {
    const state = { failed: false };
    const onFailure = (): void => {
      state.failed = true;
    };
    const scope: RecoveryScope = {
      tenantId,
      users: trackFailures(new PgUserRepository(trx), onFailure),
      tokens: trackFailures(new PgUserTokenRepository(trx), onFailure),
      notifier: trackFailures(
        new PgOutboxNotifier(trx, tenantId, () => this.ids.newId()),
        onFailure,
      ),
    };
    const result = await work(scope);
    if (state.failed) throw abortedUnitOfWork();
    return result;
  }
}
