import type { Role, RoleBinding } from '../../../domain/authorization/role.js';
import type { ServiceAccount } from '../../../domain/identity/service-account.js';
import type { User } from '../../../domain/identity/user.js';
import {
  PLATFORM_TENANT_ID,
  PLATFORM_TENANT_SLUG,
} from '../../../domain/shared/platform-tenant.js';
import type { Tenant } from '../../../domain/tenancy/tenant.js';

/** The failures Postgres reports with these SQLSTATE codes, with the same `code` property. */
export class MemoryDatabaseError extends Error {
  override readonly name = 'MemoryDatabaseError';

  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const rlsViolation = (table: string): MemoryDatabaseError =>
  new MemoryDatabaseError(
    '42501',
    `new row violates row-level security policy for table "${table}"`,
  );

export const foreignKeyViolation = (table: string, constraint: string): MemoryDatabaseError =>
  new MemoryDatabaseError(
    '23503',
    `insert or update on table "${table}" violates foreign key constraint "${constraint}"`,
  );

export const uniqueViolation = (constraint: string): MemoryDatabaseError =>
  new MemoryDatabaseError(
    '23505',
    `duplicate key value violates unique constraint "${constraint}"`,
  );

/** One table per map; tenant-owned rows are keyed `tenantId/id`. */
export interface MemoryTables {
  readonly tenants: Map<string, Tenant>;
  readonly users: Map<string, User>;
  readonly roles: Map<string, Role>;
  readonly roleBindings: Map<string, RoleBinding>;
  readonly serviceAccounts: Map<string, ServiceAccount>;
  /** Tenant id -> policy version (`core.tenant_policy_versions`). */
  readonly policyVersions: Map<string, number>;
}

export type MemoryOperation = (tables: MemoryTables) => void;

export const rowKey = (tenantId: string, id: string): string =>
  `${tenantId.toLowerCase()}/${id.toLowerCase()}`;

const copyTables = (tables: MemoryTables): MemoryTables => ({
  tenants: new Map(tables.tenants),
  users: new Map(tables.users),
  roles: new Map(tables.roles),
  roleBindings: new Map(tables.roleBindings),
  serviceAccounts: new Map(tables.serviceAccounts),
  policyVersions: new Map(tables.policyVersions),
});

/**
 * The committed state shared by the memory adapters of one process (the "database"), seeded
 * like the first migration with the platform tenant. Rows are immutable values, so a snapshot
 * is a shallow copy of the maps.
 */
export class MemoryDatabase {
  private committed: MemoryTables;

  constructor(seededAt: Date = new Date()) {
    this.committed = {
      tenants: new Map([
        [
          PLATFORM_TENANT_ID,
          {
            id: PLATFORM_TENANT_ID,
            slug: PLATFORM_TENANT_SLUG,
            displayName: 'Platform',
            plan: 'platform',
            status: 'active',
            selfSignUpEnabled: false,
            createdAt: seededAt,
            updatedAt: seededAt,
          },
        ],
      ]),
      users: new Map(),
      roles: new Map(),
      roleBindings: new Map(),
      serviceAccounts: new Map(),
      policyVersions: new Map(),
    };
  }

  /** A private copy for a transaction to work on. */
  snapshot(): MemoryTables {
    return copyTables(this.committed);
  }

  /** The committed state, read-only by convention (for cross-tenant readers such as the directory). */
  current(): MemoryTables {
    return this.committed;
  }

  /**
   * Replays a transaction's operations on the latest committed state, all or nothing. A
   * constraint another transaction made fail meanwhile fails the commit, as Postgres would have
   * failed the statement.
   */
  commit(operations: readonly MemoryOperation[]): void {
    if (operations.length === 0) return;
    const next = copyTables(this.committed);
    for (const operation of operations) operation(next);
    this.committed = next;
  }
}
