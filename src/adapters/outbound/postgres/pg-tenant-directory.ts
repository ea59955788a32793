import type { Knex } from 'knex';

import { isUuid } from '../../../domain/shared/uuid.js';
import type { TenantDirectory, TenantRef } from '../../../domain/tenancy/tenant-directory.port.js';
import type { TenantStatus } from '../../../domain/tenancy/tenant.js';
import { SCHEMA } from './pg-schema.js';

interface TenantRefRow {
  id: string;
  slug: string;
  status: TenantStatus;
}

/**
 * Cross-tenant tenant references through the SECURITY DEFINER functions of the first migration
 * (the app role may execute them, and read nothing else of other tenants). Uncached: wrap it in
 * `CachedTenantDirectory`.
 */
export class PgTenantDirectory implements TenantDirectory {
  constructor(private readonly db: Knex) {}

  async bySlug(slug: string): Promise<TenantRef | undefined> {
    const result = await this.db.raw<{ rows: TenantRefRow[] }>(
      `select id, slug, status from ${SCHEMA}.tenant_ref_by_slug(?)`,
      [slug],
    );
    return toRef(result.rows[0]);
  }

  async byId(id: string): Promise<TenantRef | undefined> {
    if (!isUuid(id)) return undefined;
    const result = await this.db.raw<{ rows: TenantRefRow[] }>(
      `select id, slug, status from ${SCHEMA}.tenant_ref_by_id(?::uuid)`,
      [id],
    );
    return toRef(result.rows[0]);
  }
}

const toRef = (row: TenantRefRow | undefined): TenantRef | undefined =>
  row === undefined ? undefined : { id: row.id, slug: row.slug, status: row.status };
