import { randomBytes } from 'node:crypto';

import type { Knex } from 'knex';
import pg from 'pg';
import { inject } from 'vitest';

import { createKnex } from '../../src/adapters/outbound/postgres/knex.factory.js';
import { runMigrations } from '../../src/adapters/outbound/postgres/migrate.js';
import { PLATFORM_TENANT_ID } from '../../src/domain/shared/platform-tenant.js';
import './provided-context.js';

export interface TestDatabase {
  readonly name: string;
  /** Superuser/owner connection to this database (ran the migrations). */
  readonly ownerUrl: string;
  /** The app role's connection, as the service would use it. */
  readonly appUrl: string;
  readonly ownerKnex: Knex;
  readonly appKnex: Knex;
  /** Empties every table of schema core and re-seeds the platform tenant. */
  reset(): Promise<void>;
  /** Closes both pools and drops the database. */
  drop(): Promise<void>;
}

const withDatabase = (
  url: string,
  database: string,
  credentials?: { user: string; password: string },
): string => {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  if (credentials !== undefined) {
    parsed.username = encodeURIComponent(credentials.user);
    parsed.password = encodeURIComponent(credentials.password);
  }
  return parsed.toString();
};

/**
 * A fresh, migrated database with a random name on the run's test server (see global-setup),
 * owned by the admin role, with the service's app role set up. Drop it in afterAll.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = inject('postgresAdminUrl');
  const appRole = inject('postgresAppRole');
  const name = `wm_test_${randomBytes(6).toString('hex')}`;

  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${pg.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }

  const ownerUrl = withDatabase(adminUrl, name);
  const appUrl = withDatabase(adminUrl, name, { user: appRole.name, password: appRole.password });
  await runMigrations({ ownerUrl, appUrl });
  const ownerKnex = createKnex(ownerUrl, { poolMax: 2, applicationName: 'wemaster-test-owner' });
  const appKnex = createKnex(appUrl, { poolMax: 4, applicationName: 'wemaster-test-app' });

  return {
    name,
    ownerUrl,
    appUrl,
    ownerKnex,
    appKnex,
    reset: async () => {
      await ownerKnex.transaction(async (trx) => {
        const tables = await trx.raw<{ rows: { name: string }[] }>(
          `select format('%I.%I', schemaname, tablename) as name from pg_catalog.pg_tables
            where schemaname = 'core' and tablename not like 'knex\\_%'`,
        );
        await trx.raw(`truncate ${tables.rows.map((table) => table.name).join(', ')} cascade`);
        await trx.raw("select set_config('app.tenant_id', ?, true)", [PLATFORM_TENANT_ID]);
        await trx.raw(
          `insert into core.tenants (id, slug, display_name, plan, status) values (?, 'platform', 'Platform', 'platform', 'active')`,
          [PLATFORM_TENANT_ID],
        );
      });
    },
    drop: async () => {
      await Promise.all([ownerKnex.destroy(), appKnex.destroy()]);
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}
