import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { assertIsolationHolds } from '../../src/adapters/outbound/postgres/isolation-self-check.js';
import { DetachedUnitOfWork } from '../../src/adapters/outbound/postgres/detached-unit-of-work.js';
import { PgRequestTransactions } from '../../src/adapters/outbound/postgres/pg-request-transactions.js';
import { PgUnitOfWork } from '../../src/adapters/outbound/postgres/pg-unit-of-work.js';
import { StoredPolicies } from '../../src/application/authorization/stored-policies.js';
import { PLATFORM_TENANT_ID } from '../../src/domain/shared/platform-tenant.js';
import { aRole, aRoleBinding } from '../mothers/role.mother.js';
import { aTenant, anotherTenant, TENANT_A_ID, TENANT_B_ID } from '../mothers/tenant.mother.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { countRows, errorOf, inTenantSession } from '../support/app-session.js';

/** Roles with an inherits link, bindings and a policy version in two tenants, as the app role. */
const BASE_ID = '0d000000-0000-4000-8000-0000000000b0';
const CHILD_ID = '0d000000-0000-4000-8000-0000000000b1';
const B_BINDING_ID = '0e000000-0000-4000-8000-0000000000b1';
const TABLES = ['core.role_inherits', 'core.tenant_policy_versions'] as const;

let database: TestDatabase;
let app: pg.Client;

const asTenant = (tenantId: string, body: () => Promise<void>): Promise<void> =>
  inTenantSession(app, tenantId, body);

const count = (sql: string, values: unknown[] = []): Promise<number> => countRows(app, sql, values);

const versionOf = async (tenantId: string): Promise<number> =>
  new PgUnitOfWork(database.appKnex).inTenant(tenantId, ({ roles }) => roles.policyVersion());

beforeAll(async () => {
  database = await createTestDatabase();
  const uow = new PgUnitOfWork(database.appKnex);
  await uow.inTenant(PLATFORM_TENANT_ID, async ({ tenants }) => {
    await tenants.insert(aTenant());
    await tenants.insert(anotherTenant());
  });
  for (const tenantId of [TENANT_A_ID, TENANT_B_ID]) {
    await uow.inTenant(tenantId, async ({ roles }) => {
      await roles.insertRoles([
        aRole({ tenantId, id: BASE_ID, name: 'base', system: false }),
        aRole({ tenantId, id: CHILD_ID, name: 'child', system: false, inherits: [BASE_ID] }),
      ]);
      await roles.insertBinding(
        aRoleBinding({
          tenantId,
          ...(tenantId === TENANT_B_ID ? { id: B_BINDING_ID } : {}),
          roleId: CHILD_ID,
          scope: { kind: 'resource', resource: 'documents/1' },
        }),
      );
    });
  }
  app = new pg.Client({ connectionString: database.appUrl });
  await app.connect();
});

afterAll(async () => {
  await app.end();
  await database.drop();
});

describe('authorization tables as the app role', () => {
  it.each(TABLES)('%s shows no rows without a tenant', async (table) => {
    expect(await count(`select * from ${table}`)).toBe(0);
  });

  it("shows tenant A only A's inherits links and policy version, the platform tenant none", async () => {
    await asTenant(TENANT_A_ID, async () => {
      for (const table of TABLES) {
        expect(await count(`select * from ${table}`)).toBe(1);
        expect(await count(`select * from ${table} where tenant_id = $1`, [TENANT_B_ID])).toBe(0);
      }
      expect(await count('select * from core.role_bindings where id = $1', [B_BINDING_ID])).toBe(0);
    });
    await asTenant(PLATFORM_TENANT_ID, async () => {
      for (const table of TABLES) expect(await count(`select * from ${table}`)).toBe(0);
    });
  });

  it("does not let tenant A write B's links, bindings or policy version", async () => {
    await asTenant(TENANT_A_ID, async () => {
      const link = await errorOf(
        app.query(
          'insert into core.role_inherits (tenant_id, role_id, inherited_role_id, position) values ($1, $2, $3, 0)',
          [TENANT_B_ID, BASE_ID, CHILD_ID],
        ),
      );
      expect(link.code).toBe('42501');
    });
    await asTenant(TENANT_A_ID, async () => {
      const version = await errorOf(
        app.query('insert into core.tenant_policy_versions (tenant_id, version) values ($1, 99)', [
          TENANT_B_ID,
        ]),
      );
      expect(version.code).toBe('42501');
    });
    await asTenant(TENANT_A_ID, async () => {
      const binding = await errorOf(
        app.query(
          `insert into core.role_bindings (tenant_id, id, subject_id, subject_kind, role_id)
           values ($1, gen_random_uuid(), gen_random_uuid(), 'user', $2)`,
          [TENANT_B_ID, CHILD_ID],
        ),
      );
      expect(binding.code).toBe('42501');
    });
    const before = await versionOf(TENANT_B_ID);
    await asTenant(TENANT_A_ID, async () => {
      for (const table of [...TABLES, 'core.role_bindings', 'core.roles']) {
        const deleted = await app.query(`delete from ${table} where tenant_id = $1`, [TENANT_B_ID]);
        expect(deleted.rowCount).toBe(0);
      }
      const bumped = await app.query(
        'update core.tenant_policy_versions set version = version + 100 where tenant_id = $1',
        [TENANT_B_ID],
      );
      expect(bumped.rowCount).toBe(0);
      const expired = await app.query(
        'update core.role_bindings set expires_at = now() where id = $1',
        [B_BINDING_ID],
      );
      expect(expired.rowCount).toBe(0);
    });
    expect(await versionOf(TENANT_B_ID)).toBe(before);
  });

  it("cannot link its role to B's role id (the foreign keys include the tenant)", async () => {
    await asTenant(TENANT_A_ID, async () => {
      await app.query('delete from core.roles where id = $1', [BASE_ID]);
      // A's base is gone; B's role of the same id does not satisfy (tenant_id, id).
      const error = await errorOf(
        app.query(
          'insert into core.role_inherits (tenant_id, role_id, inherited_role_id, position) values ($1, $2, $3, 0)',
          [TENANT_A_ID, CHILD_ID, BASE_ID],
        ),
      );
      expect(error.code).toBe('23503');
    });
  });

  it("bumps only the writing tenant's version, through the triggers, on any write", async () => {
    const [a, b] = [await versionOf(TENANT_A_ID), await versionOf(TENANT_B_ID)];
    await app.query('begin');
    await app.query("select set_config('app.tenant_id', $1, true)", [TENANT_A_ID]);
    await app.query("update core.roles set description = 'changed' where id = $1", [BASE_ID]);
    await app.query('commit');
    expect(await versionOf(TENANT_A_ID)).toBeGreaterThan(a);
    expect(await versionOf(TENANT_B_ID)).toBe(b);
  });

  it('is covered by the start-up self-check (RLS enabled, forced, with a policy)', async () => {
    const rows = await database.ownerKnex.raw<{
      rows: { name: string; rls: boolean; forced: boolean; policies: string }[];
    }>(
      `select c.relname as name, c.relrowsecurity as rls, c.relforcerowsecurity as forced,
              (select count(*) from pg_catalog.pg_policy p where p.polrelid = c.oid) as policies
         from pg_catalog.pg_class c
        where c.oid in ('core.role_inherits'::regclass, 'core.tenant_policy_versions'::regclass)`,
    );
    expect(rows.rows).toHaveLength(2);
    for (const row of rows.rows) {
      expect(row).toMatchObject({ rls: true, forced: true });
      expect(Number(row.policies)).toBeGreaterThan(0);
    }
    await expect(assertIsolationHolds(database.appKnex)).resolves.toBeUndefined();
  });

  it('compiled-policy reads never join a request transaction: they see committed state only', async () => {
    const uow = new PgUnitOfWork(database.appKnex);
    const detached = new StoredPolicies(new DetachedUnitOfWork(uow));
    const joined = new StoredPolicies(uow);
    let names: { joined: string[]; detached: string[] } | undefined;
    await new PgRequestTransactions(database.appKnex)
      .run(
        TENANT_A_ID,
        async () => {
          await uow.inTenant(TENANT_A_ID, ({ roles }) =>
            roles.insertRoles([
              aRole({ id: '0d000000-0000-4000-8000-0000000000ca', name: 'pending', system: false }),
            ]),
          );
          names = {
            joined: (await joined.tenant(TENANT_A_ID)).roles.map((role) => role.name),
            detached: (await detached.tenant(TENANT_A_ID)).roles.map((role) => role.name),
          };
        },
        () => Promise.reject(new Error('roll back')),
      )
      .catch(() => undefined);
    expect(names?.joined).toContain('pending');
    expect(names?.detached).not.toContain('pending');
  });
});
