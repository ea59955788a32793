import type { RoleRepository } from '../authorization/role.repository.port.js';
import type { ServiceAccountRepository } from '../identity/service-account.repository.port.js';
import type { UserRepository } from '../identity/user.repository.port.js';
import type { TenantRepository } from '../tenancy/tenant.repository.port.js';

/** Repositories bound to one tenant and one transaction. */
export interface TenantScope {
  readonly tenantId: string;
  readonly tenants: TenantRepository;
  readonly users: UserRepository;
  readonly roles: RoleRepository;
  readonly serviceAccounts: ServiceAccountRepository;
}

/**
 * The only way to reach tenant-owned data. `work` runs in one transaction in which the store
 * sees and writes the given tenant's rows only; it commits when `work` resolves and rolls back
 * when it throws.
 */
export interface UnitOfWork {
  inTenant<T>(tenantId: string, work: (scope: TenantScope) => Promise<T>): Promise<T>;
}
