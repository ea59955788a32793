import { isUuid } from '../../../domain/shared/uuid.js';
import type { TenantScope, UnitOfWork } from '../../../domain/shared/unit-of-work.port.js';
import { InMemoryRoleRepository } from './in-memory-role.repository.js';
import { InMemoryServiceAccountRepository } from './in-memory-service-account.repository.js';
import { InMemoryTenantRepository } from './in-memory-tenant.repository.js';
import { InMemoryUserRepository } from './in-memory-user.repository.js';
import { MemoryDatabase } from './memory-database.js';
import { MemoryTransaction } from './memory-transaction.js';

/**
 * The memory twin of `PgUnitOfWork`, with the same isolation as the row-level security
 * policies (a tenant sees its own rows; the platform tenant also sees every tenant row, but
 * only its own users and roles), the same conflicts, and transactions: `work` runs on a
 * snapshot whose writes are committed when it resolves and dropped when it throws (or when a
 * statement failed: then it rejects, like PgUnitOfWork).
 */
export class InMemoryUnitOfWork implements UnitOfWork {
  constructor(readonly database: MemoryDatabase = new MemoryDatabase()) {}

  async inTenant<T>(tenantId: string, work: (scope: TenantScope) => Promise<T>): Promise<T> {
    if (!isUuid(tenantId)) throw new Error('inTenant: the tenant id must be a UUID');
    const scopeTenantId = tenantId.toLowerCase();
    const tx = new MemoryTransaction(this.database.snapshot());
    const scope: TenantScope = {
      tenantId,
      tenants: new InMemoryTenantRepository(tx, scopeTenantId),
      users: new InMemoryUserRepository(tx, scopeTenantId),
      roles: new InMemoryRoleRepository(tx, scopeTenantId),
      serviceAccounts: new InMemoryServiceAccountRepository(tx, scopeTenantId),
    };
    let result: T;
    try {
      result = await work(scope);
    } catch (error) {
      tx.close();
      throw error;
    }
    const aborted = tx.aborted;
    const operations = tx.close();
    // As PgUnitOfWork: a failed statement the work caught still rolls everything back.
    if (aborted) {
      throw new Error(
        'unit of work rolled back: a statement failed and the work carried on (current transaction is aborted)',
      );
    }
    this.database.commit(operations);
    return result;
  }
}
