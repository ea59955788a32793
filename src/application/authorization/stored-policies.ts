import type { UnitOfWork } from '../../domain/shared/unit-of-work.port.js';
import type {
  PolicySource,
  SubjectBindingsSnapshot,
  TenantPolicySnapshot,
} from './policy-cache.port.js';

/**
 * Policies as stored, through units of work. The version is read first in each transaction: a
 * change committed between the two reads only makes the data newer than its version says, so
 * the next announcement or revalidation replaces it; never the other way round.
 */
export class StoredPolicies implements PolicySource {
  constructor(private readonly uow: UnitOfWork) {}

  tenant(tenantId: string): Promise<TenantPolicySnapshot> {
    return this.uow.inTenant(tenantId, async ({ roles }) => {
      const version = await roles.policyVersion();
      return { version, roles: await roles.listRoles() };
    });
  }

  bindings(tenantId: string, subjectId: string): Promise<SubjectBindingsSnapshot> {
    return this.uow.inTenant(tenantId, async ({ roles }) => {
      const version = await roles.policyVersion();
      return { version, bindings: await roles.bindingsOf(subjectId) };
    });
  }

  version(tenantId: string): Promise<number> {
    return this.uow.inTenant(tenantId, ({ roles }) => roles.policyVersion());
  }
}
