import type { Knex } from 'knex';

import { pageFrom, type Page, type PageQuery } from '../../../domain/shared/page.js';
import { tenantNotFound, tenantSlugTaken } from '../../../domain/tenancy/tenancy.errors.js';
import type { TenantRepository } from '../../../domain/tenancy/tenant.repository.port.js';
import type { Tenant, TenantStatus } from '../../../domain/tenancy/tenant.js';
import { isUniqueViolation } from './pg-errors.js';
import { TABLE } from './pg-schema.js';

interface TenantRow {
  id: string;
  slug: string;
  display_name: string;
  plan: string;
  status: TenantStatus;
  self_sign_up_enabled: boolean;
  created_at: Date;
  updated_at: Date;
}

const toTenant = (row: TenantRow): Tenant => ({
  id: row.id,
  slug: row.slug,
  displayName: row.display_name,
  plan: row.plan,
  status: row.status,
  selfSignUpEnabled: row.self_sign_up_enabled,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const toRow = (tenant: Tenant): TenantRow => ({
  id: tenant.id,
  slug: tenant.slug,
  display_name: tenant.displayName,
  plan: tenant.plan,
  status: tenant.status,
  self_sign_up_enabled: tenant.selfSignUpEnabled,
  created_at: tenant.createdAt,
  updated_at: tenant.updatedAt,
});

/**
 * Tenants through row-level security: the transaction's tenant sees itself, the platform
 * tenant sees all. No WHERE clause here restricts visibility; the policy does.
 */
export class PgTenantRepository implements TenantRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  async insert(tenant: Tenant): Promise<void> {
    try {
      await this.db<TenantRow>(TABLE.tenants).insert(toRow(tenant));
    } catch (error) {
      if (isUniqueViolation(error, 'tenants_slug_key')) throw tenantSlugTaken(tenant.slug);
      throw error;
    }
  }

  async findById(id: string): Promise<Tenant | undefined> {
    const row = await this.db<TenantRow>(TABLE.tenants).where({ id }).first();
    return row === undefined ? undefined : toTenant(row);
  }

  // NO KEY UPDATE: serializes the read-modify-writes like FOR UPDATE, but leaves alone the key
  // share lock a foreign key check takes, so rows referring to this one can still be inserted
  // meanwhile (FOR UPDATE deadlocked a password reset with a concurrent reset request).
  async findByIdForUpdate(id: string): Promise<Tenant | undefined> {
    const row = await this.db<TenantRow>(TABLE.tenants).where({ id }).forNoKeyUpdate().first();
    return row === undefined ? undefined : toTenant(row);
  }

  async findBySlug(slug: string): Promise<Tenant | undefined> {
    const row = await this.db<TenantRow>(TABLE.tenants).where({ slug }).first();
    return row === undefined ? undefined : toTenant(row);
  }

  async list(query: PageQuery, status: TenantStatus | undefined): Promise<Page<Tenant>> {
    const builder = this.db<TenantRow>(TABLE.tenants)
      .select('*')
      .orderBy('slug', 'asc')
      .limit(query.limit + 1);
    if (query.after !== undefined) void builder.where('slug', '>', query.after);
    if (status !== undefined) void builder.where({ status });
    const rows = await builder;
    return pageFrom(rows.map(toTenant), query.limit, (tenant) => tenant.slug);
  }

  async update(tenant: Tenant): Promise<void> {
    let updated: number;
    try {
      updated = await this.db<TenantRow>(TABLE.tenants).where({ id: tenant.id }).update({
        slug: tenant.slug,
        display_name: tenant.displayName,
        plan: tenant.plan,
        status: tenant.status,
        self_sign_up_enabled: tenant.selfSignUpEnabled,
        updated_at: tenant.updatedAt,
      });
    } catch (error) {
      if (isUniqueViolation(error, 'tenants_slug_key')) throw tenantSlugTaken(tenant.slug);
      throw error;
    }
    // Missing and invisible look the same: existence is not revealed.
    if (updated === 0) throw tenantNotFound();
  }
}
