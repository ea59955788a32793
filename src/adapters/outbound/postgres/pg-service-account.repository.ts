import type { Knex } from 'knex';

import type { ServiceAccountRepository } from '../../../domain/identity/service-account.repository.port.js';
import {
  serviceAccountNameTaken,
  type ServiceAccount,
  type ServiceAccountView,
} from '../../../domain/identity/service-account.js';
import { pageFrom, type Page, type PageQuery } from '../../../domain/shared/page.js';
import { isUniqueViolation } from './pg-errors.js';
import { SCHEMA, TABLE } from './pg-schema.js';

const SERVICE_ACCOUNTS = `${SCHEMA}.service_accounts`;

interface ServiceAccountRow {
  tenant_id: string;
  id: string;
  name: string;
  description: string;
  client_id: string;
  secret_hash: string;
  previous_secret_hash: string | null;
  previous_secret_expires_at: Date | null;
  created_at: Date;
  deleted_at: Date | null;
}

interface BoundRoleRow {
  subject_id: string;
  name: string;
}

const toAccount = (row: ServiceAccountRow): ServiceAccount => ({
  tenantId: row.tenant_id,
  id: row.id,
  name: row.name,
  description: row.description,
  clientId: row.client_id,
  secretHash: row.secret_hash,
  previousSecretHash: row.previous_secret_hash ?? undefined,
  previousSecretExpiresAt: row.previous_secret_expires_at ?? undefined,
  createdAt: row.created_at,
  deletedAt: row.deleted_at ?? undefined,
});

/** Service accounts of the transaction's tenant (row-level security decides visibility). */
export class PgServiceAccountRepository implements ServiceAccountRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  async insert(account: ServiceAccount): Promise<void> {
    try {
      await this.db<ServiceAccountRow>(SERVICE_ACCOUNTS).insert({
        tenant_id: account.tenantId,
        id: account.id,
        name: account.name,
        description: account.description,
        client_id: account.clientId,
        secret_hash: account.secretHash,
        previous_secret_hash: account.previousSecretHash ?? null,
        previous_secret_expires_at: account.previousSecretExpiresAt ?? null,
        created_at: account.createdAt,
        deleted_at: account.deletedAt ?? null,
      });
    } catch (error) {
      if (isUniqueViolation(error, 'service_accounts_live_name_key')) {
        throw serviceAccountNameTaken();
      }
      throw error;
    }
  }

  private live() {
    return this.db<ServiceAccountRow>(SERVICE_ACCOUNTS).whereNull('deleted_at');
  }

  async findById(id: string): Promise<ServiceAccount | undefined> {
    const row: ServiceAccountRow | undefined = await this.live().where({ id }).first();
    return row === undefined ? undefined : toAccount(row);
  }

  async findByClientId(clientId: string): Promise<ServiceAccount | undefined> {
    const row: ServiceAccountRow | undefined = await this.live()
      .where({ client_id: clientId })
      .first();
    return row === undefined ? undefined : toAccount(row);
  }

  async list(query: PageQuery): Promise<Page<ServiceAccountView>> {
    const builder = this.live()
      .orderBy('id', 'asc')
      .limit(query.limit + 1);
    if (query.after !== undefined) void builder.where('id', '>', query.after);
    const rows: ServiceAccountRow[] = await builder;
    const accounts = rows.map(toAccount);
    const ids = accounts.map((account) => account.id);
    const bindings: BoundRoleRow[] =
      ids.length === 0
        ? []
        : await this.db<BoundRoleRow>(`${TABLE.roleBindings} as b`)
            .join(`${TABLE.roles} as r`, function joinRole() {
              this.on('r.tenant_id', '=', 'b.tenant_id').andOn('r.id', '=', 'b.role_id');
            })
            .whereIn('b.subject_id', ids)
            .select('b.subject_id', 'r.name');
    const views = accounts.map((account): ServiceAccountView => ({
      account,
      roles: bindings
        .filter((binding) => binding.subject_id === account.id)
        .map((binding) => binding.name)
        .sort(),
    }));
    return pageFrom(views, query.limit, (view) => view.account.id);
  }

  async updateSecret(
    id: string,
    secretHash: string,
    previousSecretHash: string | undefined,
    previousSecretExpiresAt: Date | undefined,
  ): Promise<boolean> {
    const count = await this.live()
      .where({ id })
      .update({
        secret_hash: secretHash,
        previous_secret_hash: previousSecretHash ?? null,
        previous_secret_expires_at: previousSecretExpiresAt ?? null,
      });
    return count > 0;
  }

  async markDeleted(id: string, at: Date): Promise<boolean> {
    const count = await this.live().where({ id }).update({ deleted_at: at });
    return count > 0;
  }
}
