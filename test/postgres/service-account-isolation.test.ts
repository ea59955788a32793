import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { PgUnitOfWork } from '../../src/adapters/outbound/postgres/pg-unit-of-work.js';
import { PLATFORM_TENANT_ID } from '../../src/domain/shared/platform-tenant.js';
import { aServiceAccount, SERVICE_ACCOUNT_ID } from '../mothers/service-account.mother.js';
import { aTenant, anotherTenant, TENANT_A_ID, TENANT_B_ID } from '../mothers/tenant.mother.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { countRows, errorOf, inTenantSession } from '../support/app-session.js';

const B_ACCOUNT_ID = '05000000-0000-4000-8000-0000000000b1';

let database: TestDatabase;
/** A single app-role session, to run SQL exactly as written. */
let app: pg.Client;

const asTenant = (tenantId: string, body: () => Promise<void>): Promise<void> =>
  inTenantSession(app, tenantId, body);

const count = (sql: string, values: unknown[] = []): Promise<number> => countRows(app, sql, values);

beforeAll(async () => {
  database = await createTestDatabase();
  const uow = new PgUnitOfWork(database.appKnex);
  await uow.inTenant(PLATFORM_TENANT_ID, async ({ tenants }) => {
    await tenants.insert(aTenant());
    await tenants.insert(anotherTenant());
  });
  await uow.inTenant(TENANT_A_ID, ({ serviceAccounts }) =>
    serviceAccounts.insert(aServiceAccount()),
  );
  await uow.inTenant(TENANT_B_ID, ({ serviceAccounts }) =>
    serviceAccounts.insert(aServiceAccount({ tenantId: TENANT_B_ID, id: B_ACCOUNT_ID })),
  );
  app = new pg.Client({ connectionString: database.appUrl });
  await app.connect();
});

afterAll(async () => {
  await app.end();
  await database.drop();
});

describe('core.service_accounts as the app role', () => {
  it('shows no rows with no tenant set, nor after a tenant was set and reset to empty', async () => {
    expect(await count('select * from core.service_accounts')).toBe(0);
    await app.query('begin');
    await app.query("select set_config('app.tenant_id', $1, true)", [TENANT_A_ID]);
    await app.query('rollback');
    expect(await count('select * from core.service_accounts')).toBe(0);
  });

  it("shows tenant A only A's accounts, the platform tenant none of them", async () => {
    await asTenant(TENANT_A_ID, async () => {
      expect(await count('select * from core.service_accounts')).toBe(1);
      expect(await count('select * from core.service_accounts where id = $1', [B_ACCOUNT_ID])).toBe(
        0,
      );
    });
    await asTenant(PLATFORM_TENANT_ID, async () => {
      expect(await count('select * from core.service_accounts')).toBe(0);
    });
  });

  it("does not let tenant A write, change or delete B's accounts", async () => {
    await asTenant(TENANT_A_ID, async () => {
      const error = await errorOf(
        app.query(
          `insert into core.service_accounts (tenant_id, id, name, client_id, secret_hash, created_at)
           values ($1, gen_random_uuid(), 'x', 'sa_x', 'h', now())`,
          [TENANT_B_ID],
        ),
      );
      expect(error.code).toBe('42501');
    });
    await asTenant(TENANT_A_ID, async () => {
      const updated = await app.query(
        "update core.service_accounts set secret_hash = 'stolen' where id = $1",
        [B_ACCOUNT_ID],
      );
      expect(updated.rowCount).toBe(0);
      const deleted = await app.query('delete from core.service_accounts where id = $1', [
        B_ACCOUNT_ID,
      ]);
      expect(deleted.rowCount).toBe(0);
      const moved = await errorOf(
        app.query('update core.service_accounts set tenant_id = $1 where id = $2', [
          TENANT_B_ID,
          SERVICE_ACCOUNT_ID,
        ]),
      );
      expect(moved.code).toBe('42501');
    });
  });

  it('lets the same name and random client part exist in two tenants without revealing either', async () => {
    // B's row has the same name as A's; its client id differs only by the embedded tenant.
    await asTenant(TENANT_B_ID, async () => {
      expect(
        await count('select * from core.service_accounts where name = $1', [
          aServiceAccount().name,
        ]),
      ).toBe(1);
    });
  });

  it('is covered by the start-up isolation self-check (RLS enabled, forced, with a policy)', async () => {
    const rows = await database.ownerKnex.raw<{
      rows: { relrowsecurity: boolean; relforcerowsecurity: boolean; policies: string }[];
    }>(
      `select c.relrowsecurity, c.relforcerowsecurity,
              (select count(*) from pg_catalog.pg_policy p where p.polrelid = c.oid) as policies
         from pg_catalog.pg_class c where c.oid = 'core.service_accounts'::regclass`,
    );
    expect(rows.rows[0]).toMatchObject({ relrowsecurity: true, relforcerowsecurity: true });
    expect(Number(rows.rows[0]?.policies)).toBeGreaterThan(0);
  });
});
