import type { Knex } from 'knex';

import { abortedUnitOfWork, trackFailures } from './unit-of-work-failures.js';
import type { TenantScope, UnitOfWork } from '../../../domain/shared/unit-of-work.port.js';
import { PgRoleRepository } from './pg-role.repository.js';
import { PgServiceAccountRepository } from './pg-service-account.repository.js';
import { inTenantTransaction } from './pg-request-transactions.js';
import { PgTenantRepository } from './pg-tenant.repository.js';
import { PgUserRepository } from './pg-user.repository.js';

/**
 * One transaction per unit of work, with the tenant set transaction-locally
 * (`set_config(..., true)`): the row-level security policies confine every statement to that
 * tenant, and the setting cannot outlive the transaction on a pooled connection.
 * Use a knex connected as the app role (never the owner).
 */
export class PgUnitOfWork implements UnitOfWork {
  constructor(private readonly db: Knex) {}

  inTenant<T>(tenantId: string, work: (scope: TenantScope) => Promise<T>): Promise<T> {
    return inTenantTransaction(this.db, tenantId, (trx) => this.runScope(trx, tenantId, work));
  }

  private async runScope<T>(
    trx: Knex.Transaction,
    tenantId: string,
    work: (scope: TenantScope) => Promise<T>,
  ): Promise<T> {
    const state = { failed: false };
    const onFailure = (): void => {
      state.failed = true;
    };
    const scope: TenantScope = {
      tenantId,
      tenants: trackFailures(new PgTenantRepository(trx), onFailure),
      users: trackFailures(new PgUserRepository(trx), onFailure),
      roles: trackFailures(new PgRoleRepository(trx), onFailure),
      serviceAccounts: trackFailures(new PgServiceAccountRepository(trx), onFailure),
    };
    const result = await work(scope);
    // Postgres turns the COMMIT of a transaction with a failed statement into a ROLLBACK
    // without an error: say so instead of reporting success for writes that are gone.
    if (state.failed) throw abortedUnitOfWork();
    return result;
  }
}
