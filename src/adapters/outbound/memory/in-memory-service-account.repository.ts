import type { ServiceAccountRepository } from '../../../domain/identity/service-account.repository.port.js';
import {
  serviceAccountNameTaken,
  type ServiceAccount,
  type ServiceAccountView,
} from '../../../domain/identity/service-account.js';
import { pageFrom, type Page, type PageQuery } from '../../../domain/shared/page.js';
import {
  foreignKeyViolation,
  rlsViolation,
  rowKey,
  uniqueViolation,
  type MemoryTables,
} from './memory-database.js';
import type { MemoryTransaction } from './memory-transaction.js';

/** Service accounts of the scope's tenant, as the `service_accounts` policy allows. */
export class InMemoryServiceAccountRepository implements ServiceAccountRepository {
  constructor(
    private readonly tx: MemoryTransaction,
    private readonly scopeTenantId: string,
  ) {}

  insert(account: ServiceAccount): Promise<void> {
    const scope = this.scopeTenantId;
    return run(() => {
      this.tx.write((tables) => {
        const tenantId = account.tenantId.toLowerCase();
        if (tenantId !== scope) throw rlsViolation('service_accounts');
        const key = rowKey(tenantId, account.id);
        if (tables.serviceAccounts.has(key)) throw uniqueViolation('service_accounts_pkey');
        const others = [...tables.serviceAccounts.values()].filter(
          (other) => other.tenantId.toLowerCase() === tenantId,
        );
        if (others.some((other) => other.deletedAt === undefined && other.name === account.name)) {
          throw serviceAccountNameTaken();
        }
        if (others.some((other) => other.clientId === account.clientId)) {
          throw uniqueViolation('service_accounts_client_id_key');
        }
        if (!tables.tenants.has(tenantId)) {
          throw foreignKeyViolation('service_accounts', 'service_accounts_tenant_fkey');
        }
        tables.serviceAccounts.set(key, { ...account, tenantId });
      });
    });
  }

  findById(id: string): Promise<ServiceAccount | undefined> {
    return run(() =>
      this.tx.read((tables) => this.live(tables).find((a) => a.id === id.toLowerCase())),
    );
  }

  findByClientId(clientId: string): Promise<ServiceAccount | undefined> {
    return run(() =>
      this.tx.read((tables) => this.live(tables).find((a) => a.clientId === clientId)),
    );
  }

  list(query: PageQuery): Promise<Page<ServiceAccountView>> {
    return run(() =>
      this.tx.read((tables) => {
        const after = query.after;
        const rows = this.live(tables)
          .filter((a) => after === undefined || a.id > after)
          .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
          .slice(0, query.limit + 1)
          .map((account): ServiceAccountView => ({
            account,
            roles: this.rolesOf(tables, account.id),
          }));
        return pageFrom(rows, query.limit, (view) => view.account.id);
      }),
    );
  }

  updateSecret(
    id: string,
    secretHash: string,
    previousSecretHash: string | undefined,
    previousSecretExpiresAt: Date | undefined,
  ): Promise<boolean> {
    return this.update(id, (account) => ({
      ...account,
      secretHash,
      previousSecretHash,
      previousSecretExpiresAt,
    }));
  }

  markDeleted(id: string, at: Date): Promise<boolean> {
    return this.update(id, (account) => ({ ...account, deletedAt: at }));
  }

  private update(
    id: string,
    change: (account: ServiceAccount) => ServiceAccount,
  ): Promise<boolean> {
    return run(() => {
      const found = this.tx.read((tables) =>
        this.live(tables).find((a) => a.id === id.toLowerCase()),
      );
      if (found === undefined) return false;
      this.tx.write((tables) => {
        const key = rowKey(found.tenantId, found.id);
        const current = tables.serviceAccounts.get(key);
        if (current?.deletedAt === undefined && current !== undefined) {
          tables.serviceAccounts.set(key, change(current));
        }
      });
      return true;
    });
  }

  private live(tables: MemoryTables): ServiceAccount[] {
    return [...tables.serviceAccounts.values()].filter(
      (a) => a.tenantId.toLowerCase() === this.scopeTenantId && a.deletedAt === undefined,
    );
  }

  private rolesOf(tables: MemoryTables, subjectId: string): string[] {
    const names = new Set<string>();
    for (const binding of tables.roleBindings.values()) {
      if (binding.tenantId.toLowerCase() !== this.scopeTenantId) continue;
      if (binding.subjectId.toLowerCase() !== subjectId.toLowerCase()) continue;
      const role = tables.roles.get(rowKey(binding.tenantId, binding.roleId));
      if (role !== undefined) names.add(role.name);
    }
    return [...names].sort();
  }
}

const run = <T>(statement: () => T): Promise<T> =>
  new Promise((resolve) => {
    resolve(statement());
  });
