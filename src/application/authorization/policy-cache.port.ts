import type { CompiledSubject } from '../../domain/authorization/policy-engine.js';
import type { Role, RoleBinding } from '../../domain/authorization/role.js';

/**
 * Compiled subjects on the hot path: from memory (a value) when this replica holds one for
 * the tenant's current policy version, a promise otherwise. Never older than the configured
 * staleness bound (about a second).
 */
export interface PolicyCache {
  subject(tenantId: string, subjectId: string): CompiledSubject | Promise<CompiledSubject>;
}

/** What a tenant's policy is compiled from, read in one tenant transaction. */
export interface TenantPolicySnapshot {
  /** Read before the roles: a change committed in between only makes the roles newer. */
  readonly version: number;
  readonly roles: readonly Role[];
}

export interface SubjectBindingsSnapshot {
  readonly version: number;
  readonly bindings: readonly RoleBinding[];
}

/** Where the cache reads policies from (the database, through units of work). */
export interface PolicySource {
  tenant(tenantId: string): Promise<TenantPolicySnapshot>;
  bindings(tenantId: string, subjectId: string): Promise<SubjectBindingsSnapshot>;
  version(tenantId: string): Promise<number>;
}
