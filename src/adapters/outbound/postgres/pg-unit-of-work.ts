import type { Knex } from 'knex';

import { abortedUnitOfWork, trackFailures } from './unit-of-work-failures.js';
import { isUuid } from '../../../domain/shared/uuid.js';
import type { TenantScope, UnitOfWork } from '../../../domain/shared/unit-of-work.port.js';
import { PgRoleRepository } from './pg-role.repository.js';
import { PgServiceAccountRepository } from './pg-service-account.repository.js';
import {
  ambientTransaction,
  setTenant,
  type AmbientTransaction,
} from './pg-request-transactions.js';
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

  async inTenant<T>(tenantId: string, work: (scope: TenantScope) => Promise<T>): Promise<T> {
    if (!isUuid(tenantId)) throw new Error('inTenant: the tenant id must be a UUID');
    const ambient = ambientTransaction.getStore();
    if (ambient !== undefined) return this.joinRequest(ambient, tenantId, work);
    return this.db.transaction(async (trx) => {
      await setTenant(trx, tenantId);
      return this.runScope(trx, tenantId, work);
    });
  }

  /**
   * Inside a request transaction: a savepoint, so a failure here can be caught without dooming
   * the request, and the request's tenant restored afterwards (a rolled-back savepoint
   * restores it by itself).
   */
  private joinRequest<T>(
    ambient: AmbientTransaction,
    tenantId: string,
    work: (scope: TenantScope) => Promise<T>,
  ): Promise<T> {
    return ambient.exclusive(() =>
      ambient.trx.transaction(async (savepoint) => {
        if (tenantId !== ambient.tenantId) await setTenant(savepoint, tenantId);
        const result = await this.runScope(savepoint, tenantId, work);
        if (tenantId !== ambient.tenantId) await setTenant(savepoint, ambient.tenantId);
        return result;
      }),
    );
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
