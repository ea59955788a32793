import { randomBytes } from 'node:crypto';

import type { Knex } from 'knex';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';

import { APP_GROUP_ROLE } from '../../src/adapters/outbound/postgres/pg-schema.js';
import { createKnex } from '../../src/adapters/outbound/postgres/knex.factory.js';
import { runMigrations } from '../../src/adapters/outbound/postgres/migrate.js';
import { PgTenantDirectory } from '../../src/adapters/outbound/postgres/pg-tenant-directory.js';
import { PgUnitOfWork } from '../../src/adapters/outbound/postgres/pg-unit-of-work.js';
import {
  PLATFORM_TENANT_ID,
  PLATFORM_TENANT_SLUG,
} from '../../src/domain/shared/platform-tenant.js';
import { aTenant, TENANT_A_ID } from '../mothers/tenant.mother.js';
import '../support/provided-context.js';

/**
 * The migrations run by an owner that is NOT a superuser (the production shape: a dedicated
 * owner role with CREATEROLE that owns the database). On PostgreSQL 15+ such a role cannot put
 * a placeholder setting (app.tenant_id) in a function's SET clause, so the SECURITY DEFINER
 * functions must set it in their body; this proves the migrations apply and those functions work.
 */
const suffix = randomBytes(5).toString('hex');
const OWNER = `wm_owner_${suffix}`;
const OWNER_PASSWORD = `owner-${suffix}`;
const APP = `wm_app_${suffix}`;
const APP_PASSWORD = `app-${suffix}`;
const DATABASE = `wm_test_owner_${suffix}`;

const adminUrl = inject('postgresAdminUrl');
const urlOf = (user: string, password: string): string => {
  const parsed = new URL(adminUrl);
  parsed.pathname = `/${DATABASE}`;
  parsed.username = user;
  parsed.password = password;
  return parsed.toString();
};

async function asAdmin(sql: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

let owner: Knex | undefined;
let app: Knex | undefined;
const migrated = (knex: Knex | undefined): Knex => {
  if (knex === undefined) throw new Error('the migrations did not run');
  return knex;
};
const ownerKnex = (): Knex => migrated(owner);
const appKnex = (): Knex => migrated(app);

beforeAll(async () => {
  await asAdmin(
    `create role ${OWNER} login createrole nosuperuser nobypassrls password '${OWNER_PASSWORD}'`,
  );
  // PostgreSQL 16+: a CREATEROLE owner may only grant membership in roles it administers. When
  // the app group role already exists (created by an earlier, superuser-run migration), the
  // DBA gives the owner ADMIN OPTION on it, as a deployment would.
  await asAdmin(
    `do $$ begin
       if exists (select from pg_catalog.pg_roles where rolname = '${APP_GROUP_ROLE}') then
         execute 'grant ${APP_GROUP_ROLE} to ${OWNER} with admin option';
       end if;
     end $$`,
  );
  await asAdmin(`create database ${DATABASE} owner ${OWNER}`);
  const ownerUrl = urlOf(OWNER, OWNER_PASSWORD);
  const appUrl = urlOf(APP, APP_PASSWORD);
  await runMigrations({ ownerUrl, appUrl });
  owner = createKnex(ownerUrl, { poolMax: 1, applicationName: 'wemaster-test-owner' });
  app = createKnex(appUrl, { poolMax: 2, applicationName: 'wemaster-test-app' });
});

afterAll(async () => {
  await Promise.all([owner?.destroy(), app?.destroy()]);
  await asAdmin(`drop database if exists ${DATABASE} with (force)`);
  await asAdmin(`drop role if exists ${APP}`);
  await asAdmin(`drop role if exists ${OWNER}`);
});

describe('migrations run by a non-superuser owner', () => {
  it('are applied by a role that is neither superuser nor BYPASSRLS', async () => {
    const who = await ownerKnex().raw<{ rows: { rolsuper: boolean; rolbypassrls: boolean }[] }>(
      'select rolsuper, rolbypassrls from pg_catalog.pg_roles where rolname = current_user',
    );
    expect(who.rows[0]).toEqual({ rolsuper: false, rolbypassrls: false });
    const owners = await ownerKnex().raw<{ rows: { owner: string }[] }>(
      `select distinct pg_catalog.pg_get_userbyid(p.proowner) as owner
         from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
        where n.nspname = 'core' and p.prosecdef`,
    );
    expect(owners.rows).toEqual([{ owner: OWNER }]);
  });

  it('leave a working tenant directory for the app role', async () => {
    await new PgUnitOfWork(appKnex()).inTenant(PLATFORM_TENANT_ID, async ({ tenants }) => {
      await tenants.insert(aTenant());
    });
    const directory = new PgTenantDirectory(appKnex());
    expect(await directory.bySlug(PLATFORM_TENANT_SLUG)).toEqual({
      id: PLATFORM_TENANT_ID,
      slug: PLATFORM_TENANT_SLUG,
      status: 'active',
    });
    expect(await directory.bySlug('acme')).toEqual({
      id: TENANT_A_ID,
      slug: 'acme',
      status: 'active',
    });
    expect(await directory.byId(TENANT_A_ID)).toMatchObject({ slug: 'acme' });
    expect(await directory.bySlug('nope')).toBeUndefined();
  });

  it('put the caller tenant back after a directory call', async () => {
    await appKnex().transaction(async (trx) => {
      await trx.raw("select set_config('app.tenant_id', ?, true)", [TENANT_A_ID]);
      const found = await trx.raw<{ rows: unknown[] }>('select * from core.tenant_ref_by_slug(?)', [
        PLATFORM_TENANT_SLUG,
      ]);
      expect(found.rows).toHaveLength(1);
      const setting = await trx.raw<{ rows: { value: string }[] }>(
        "select current_setting('app.tenant_id', true) as value",
      );
      expect(setting.rows[0]?.value).toBe(TENANT_A_ID);
      // Still confined to its own tenant: it sees itself only.
      const visible = await trx.raw<{ rows: { n: string }[] }>(
        'select count(*) as n from core.tenants',
      );
      expect(Number(visible.rows[0]?.n)).toBe(1);
    });
  });

  it('leave the prune function callable by the app role', async () => {
    const pruned = await appKnex().raw<{ rows: { n: number }[] }>(
      'select core.idempotency_prune(10) as n',
    );
    expect(pruned.rows[0]?.n).toBe(0);
  });
});
