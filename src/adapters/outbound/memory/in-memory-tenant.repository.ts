import { pageFrom, type Page, type PageQuery } from '../../../domain/shared/page.js';
import { PLATFORM_TENANT_ID } from '../../../domain/shared/platform-tenant.js';
import { tenantNotFound, tenantSlugTaken } from '../../../domain/tenancy/tenancy.errors.js';
import type { TenantRepository } from '../../../domain/tenancy/tenant.repository.port.js';
import type { Tenant, TenantStatus } from '../../../domain/tenancy/tenant.js';
import { rlsViolation, uniqueViolation, type MemoryTables } from './memory-database.js';
import type { MemoryTransaction } from './memory-transaction.js';

/** The `tenants` policy: a tenant sees itself, the platform tenant sees all. */
export const tenantVisible = (scopeTenantId: string, id: string): boolean =>
  scopeTenantId === PLATFORM_TENANT_ID || id.toLowerCase() === scopeTenantId;

const slugTakenBy = (tables: MemoryTables, slug: string, exceptId?: string): boolean =>
  [...tables.tenants.values()].some(
    (other) => other.slug === slug && other.id.toLowerCase() !== exceptId,
  );

export class InMemoryTenantRepository implements TenantRepository {
  constructor(
    private readonly tx: MemoryTransaction,
    private readonly scopeTenantId: string,
  ) {}

  insert(tenant: Tenant): Promise<void> {
    const scope = this.scopeTenantId;
    const id = tenant.id.toLowerCase();
    return this.run(() => {
      this.tx.write((tables) => {
        if (!tenantVisible(scope, id)) throw rlsViolation('tenants');
        if (tables.tenants.has(id)) throw uniqueViolation('tenants_pkey');
        if (slugTakenBy(tables, tenant.slug)) throw tenantSlugTaken(tenant.slug);
        tables.tenants.set(id, { ...tenant });
      });
    });
  }

  /**
   * The same as `findById`: memory units of work run on snapshots and hold no row locks, so this
   * twin does not show the lock (test/postgres/tenant-row-lock.test.ts does, on Postgres).
   */
  findByIdForUpdate(id: string): Promise<Tenant | undefined> {
    return this.findById(id);
  }

  findById(id: string): Promise<Tenant | undefined> {
    return this.run(() =>
      this.tx.read((tables) => {
        const tenant = tables.tenants.get(id.toLowerCase());
        return tenant !== undefined && tenantVisible(this.scopeTenantId, tenant.id)
          ? tenant
          : undefined;
      }),
    );
  }

  findBySlug(slug: string): Promise<Tenant | undefined> {
    return this.run(() =>
      this.tx.read((tables) =>
        [...tables.tenants.values()].find(
          (tenant) => tenant.slug === slug && tenantVisible(this.scopeTenantId, tenant.id),
        ),
      ),
    );
  }

  list(query: PageQuery, status: TenantStatus | undefined): Promise<Page<Tenant>> {
    return this.run(() =>
      this.tx.read((tables) => {
        const after = query.after;
        const rows = [...tables.tenants.values()]
          .filter((tenant) => tenantVisible(this.scopeTenantId, tenant.id))
          .filter((tenant) => status === undefined || tenant.status === status)
          .filter((tenant) => after === undefined || tenant.slug > after)
          .sort((a, b) => (a.slug < b.slug ? -1 : a.slug > b.slug ? 1 : 0))
          .slice(0, query.limit + 1);
        return pageFrom(rows, query.limit, (tenant) => tenant.slug);
      }),
    );
  }

  update(tenant: Tenant): Promise<void> {
    const scope = this.scopeTenantId;
    const id = tenant.id.toLowerCase();
    return this.run(() => {
      this.tx.write((tables) => {
        const existing = tables.tenants.get(id);
        if (existing === undefined || !tenantVisible(scope, id)) throw tenantNotFound();
        if (slugTakenBy(tables, tenant.slug, id)) throw tenantSlugTaken(tenant.slug);
        tables.tenants.set(id, { ...tenant, id: existing.id, createdAt: existing.createdAt });
      });
    });
  }

  /** Async like a real store: errors become rejections, never synchronous throws. */
  private run<T>(statement: () => T): Promise<T> {
    return new Promise((resolve) => {
      resolve(statement());
    });
  }
}
