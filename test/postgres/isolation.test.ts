import type { Knex } from 'knex';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { assertIsolationHolds } from '../../src/adapters/outbound/postgres/isolation-self-check.js';
import { createKnex } from '../../src/adapters/outbound/postgres/knex.factory.js';
import { PgTenantDirectory } from '../../src/adapters/outbound/postgres/pg-tenant-directory.js';
import { PgUnitOfWork } from '../../src/adapters/outbound/postgres/pg-unit-of-work.js';
import { PLATFORM_TENANT_ID } from '../../src/domain/shared/platform-tenant.js';
import { aRole, aRoleBinding } from '../mothers/role.mother.js';
import { aTenant, anotherTenant, TENANT_A_ID, TENANT_B_ID } from '../mothers/tenant.mother.js';
import { aUser } from '../mothers/user.mother.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { countRows, errorOf, inTenantSession } from '../support/app-session.js';

const TENANT_TABLES = [
  'core.tenants',
  'core.users',
  'core.roles',
  'core.role_bindings',
  // One row per tenant: the role and binding writes of the seed bumped it.
  'core.tenant_policy_versions',
] as const;
const B_USER_ID = '0c000000-0000-4000-8000-0000000000b1';

let database: TestDatabase;
/** A single app-role session, to run SQL exactly as written. */
let app: pg.Client;

const asTenant = (tenantId: string, body: () => Promise<void>): Promise<void> =>
  inTenantSession(app, tenantId, body);

const count = (sql: string, values: unknown[] = []): Promise<number> => countRows(app, sql, values);

beforeAll(async () => {
  database = await createTestDatabase();
  // Two tenants with a user, a role and a binding each, written by the owner (a superuser).
  const seed = new PgUnitOfWork(database.ownerKnex);
  await seed.inTenant(PLATFORM_TENANT_ID, async ({ tenants }) => {
    await tenants.insert(aTenant());
    await tenants.insert(anotherTenant());
  });
  for (const [tenantId, userId] of [
    [TENANT_A_ID, aUser().id],
    [TENANT_B_ID, B_USER_ID],
  ] as const) {
    await seed.inTenant(tenantId, async ({ users, roles }) => {
      await users.insert(
        aUser({
          tenantId,
          id: userId,
          email: `${tenantId}@example.com`,
          emailNormalized: `${tenantId}@example.com`,
        }),
      );
      await roles.insertRoles([aRole({ tenantId })]);
      await roles.insertBinding(aRoleBinding({ tenantId, subjectId: userId }));
    });
  }
  app = new pg.Client({ connectionString: database.appUrl });
  await app.connect();
});

afterAll(async () => {
  await app.end();
  await database.drop();
});

describe('the app role', () => {
  it('is neither superuser nor BYPASSRLS and owns nothing', async () => {
    const role = await app.query<{ rolsuper: boolean; rolbypassrls: boolean }>(
      'select rolsuper, rolbypassrls from pg_roles where rolname = current_user',
    );
    expect(role.rows).toEqual([{ rolsuper: false, rolbypassrls: false }]);
    const owned = await app.query(
      "select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'core' and pg_has_role(current_user, c.relowner, 'USAGE')",
    );
    expect(owned.rowCount).toBe(0);
  });

  it('passes the start-up self-check on the migrated database', async () => {
    await expect(assertIsolationHolds(database.appKnex)).resolves.toBeUndefined();
  });

  it('fails the self-check as the owner (superuser), naming the role', async () => {
    await expect(assertIsolationHolds(database.ownerKnex)).rejects.toThrow(/is a superuser/);
  });
});

describe('with no tenant set', () => {
  it.each(TENANT_TABLES)('%s shows no rows', async (table) => {
    expect(await count(`select * from ${table}`)).toBe(0);
  });

  it('refuses every insert', async () => {
    const error = await errorOf(
      app.query(
        "insert into core.users (tenant_id, id, email, email_normalized, display_name, password_hash, status) values ($1, gen_random_uuid(), 'x@y.z', 'x@y.z', 'x', 'h', 'active')",
        [TENANT_A_ID],
      ),
    );
    expect(error.code).toBe('42501');
    expect(error.message).toMatch(/row-level security/);
  });

  it('still shows nothing after SET LOCAL and ROLLBACK leave the setting empty', async () => {
    await app.query('begin');
    await app.query(`set local app.tenant_id = '${TENANT_A_ID}'`);
    await app.query('rollback');
    const setting = await app.query<{ value: string | null }>(
      "select current_setting('app.tenant_id', true) as value",
    );
    expect(setting.rows[0]?.value).toBe('');
    for (const table of TENANT_TABLES) expect(await count(`select * from ${table}`)).toBe(0);
  });
});

describe('with tenant A set', () => {
  it("sees only A's rows in every tenant table", async () => {
    await asTenant(TENANT_A_ID, async () => {
      expect(await count('select * from core.tenants where id = $1', [TENANT_B_ID])).toBe(0);
      expect(await count('select * from core.tenants')).toBe(1);
      for (const table of TENANT_TABLES.slice(1)) {
        expect(await count(`select * from ${table} where tenant_id = $1`, [TENANT_B_ID])).toBe(0);
        expect(await count(`select * from ${table} where tenant_id <> $1`, [TENANT_A_ID])).toBe(0);
        expect(await count(`select * from ${table}`)).toBe(1);
      }
    });
  });

  it('cannot insert a row for B', async () => {
    await asTenant(TENANT_A_ID, async () => {
      const error = await errorOf(
        app.query(
          "insert into core.roles (tenant_id, id, name) values ($1, gen_random_uuid(), 'sneaky')",
          [TENANT_B_ID],
        ),
      );
      expect(error.code).toBe('42501');
    });
  });

  it("updates and deletes none of B's rows", async () => {
    await asTenant(TENANT_A_ID, async () => {
      for (const table of TENANT_TABLES.slice(1)) {
        const deleted = await app.query(`delete from ${table} where tenant_id = $1`, [TENANT_B_ID]);
        expect(deleted.rowCount).toBe(0);
      }
      const updated = await app.query(
        "update core.users set display_name = 'pwned' where tenant_id = $1",
        [TENANT_B_ID],
      );
      expect(updated.rowCount).toBe(0);
      const tenant = await app.query(
        "update core.tenants set display_name = 'pwned' where id = $1",
        [TENANT_B_ID],
      );
      expect(tenant.rowCount).toBe(0);
    });
  });

  it('cannot move its own rows into B', async () => {
    await asTenant(TENANT_A_ID, async () => {
      const error = await errorOf(app.query('update core.users set tenant_id = $1', [TENANT_B_ID]));
      expect(error.code).toBe('42501');
    });
  });

  it("does not learn B's emails from unique violations", async () => {
    // B has "<B id>@example.com"; A may register the same address.
    const email = `${TENANT_B_ID}@example.com`;
    const insert = (id: string) =>
      app.query(
        "insert into core.users (tenant_id, id, email, email_normalized, display_name, password_hash, status) values ($1, $2, $3, $3, 'x', 'h', 'active')",
        [TENANT_A_ID, id, email],
      );
    await asTenant(TENANT_A_ID, async () => {
      await insert('0c000000-0000-4000-8000-0000000000a7');
      // Its own duplicate fails, and the error does not echo key values.
      const error = await errorOf(insert('0c000000-0000-4000-8000-0000000000a8'));
      expect(error.code).toBe('23505');
      expect((error as { detail?: string }).detail).toBeUndefined();
    });
  });
});

describe('the policies cannot be bypassed by the app role', () => {
  it('SET row_security = off makes queries fail instead of bypassing', async () => {
    await app.query('begin');
    try {
      await app.query('set local row_security = off');
      const error = await errorOf(app.query('select * from core.users'));
      expect(error.code).toBe('42501');
      expect(error.message).toMatch(/row-level security/);
    } finally {
      await app.query('rollback');
    }
  });

  it.each([
    'alter table core.users disable row level security',
    'alter table core.users no force row level security',
    'drop policy users_tenant_isolation on core.users',
    'alter policy users_tenant_isolation on core.users using (true)',
    'create policy everything on core.users using (true)',
    'alter table core.tenants disable row level security',
  ])('%s -> permission denied', async (statement) => {
    const error = await errorOf(app.query(statement));
    expect(error.code).toBe('42501');
  });
});

describe('the tenant setting on pooled connections', () => {
  it('does not outlive the unit of work that set it', async () => {
    const single: Knex = createKnex(database.appUrl, { poolMax: 1 });
    try {
      const pid = async (): Promise<number | undefined> =>
        (await single.raw<{ rows: { pid: number }[] }>('select pg_backend_pid() as pid')).rows[0]
          ?.pid;
      const before = await pid();
      const seen = await new PgUnitOfWork(single).inTenant(TENANT_A_ID, ({ users }) =>
        users.findById(aUser().id),
      );
      expect(seen?.tenantId).toBe(TENANT_A_ID);
      // Same pooled connection (pool of one), next statement: no tenant, no rows.
      const after = await single.raw<{ rows: { setting: string | null; users: string }[] }>(
        "select current_setting('app.tenant_id', true) as setting, (select count(*) from core.users) as users",
      );
      expect(await pid()).toBe(before);
      expect(after.rows[0]?.setting ?? '').toBe('');
      expect(Number(after.rows[0]?.users)).toBe(0);
    } finally {
      await single.destroy();
    }
  });
});

describe('the tenant directory (SECURITY DEFINER)', () => {
  it('resolves any tenant to (id, slug, status) without a tenant context', async () => {
    const directory = new PgTenantDirectory(database.appKnex);
    expect(await directory.bySlug('globex')).toEqual({
      id: TENANT_B_ID,
      slug: 'globex',
      status: 'active',
    });
    expect(await directory.byId(TENANT_A_ID)).toEqual({
      id: TENANT_A_ID,
      slug: 'acme',
      status: 'active',
    });
    expect(await directory.bySlug('nope')).toBeUndefined();
    expect(await directory.byId('not-a-uuid')).toBeUndefined();
  });

  it('does not change the tenant of the calling transaction', async () => {
    await asTenant(TENANT_A_ID, async () => {
      const ref = await app.query('select * from core.tenant_ref_by_slug($1)', ['globex']);
      expect(Object.keys(ref.rows[0] as object).sort()).toEqual(['id', 'slug', 'status']);
      const setting = await app.query<{ value: string }>(
        "select current_setting('app.tenant_id', true) as value",
      );
      expect(setting.rows[0]?.value).toBe(TENANT_A_ID);
      expect(await count('select * from core.tenants')).toBe(1);
    });
  });

  it('pins search_path and is executable by the app group only', async () => {
    const fns = await database.ownerKnex.raw<{
      rows: { name: string; secdef: boolean; config: string[]; public: boolean }[];
    }>(
      `select p.proname as name, p.prosecdef as secdef, p.proconfig as config,
              has_function_privilege('public', p.oid, 'execute') as public
         from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = 'core' and p.prosecdef`,
    );
    expect(fns.rows.map((fn) => fn.name).sort()).toEqual([
      'audit_events_chain_guard',
      'claim_outbox_messages',
      'idempotency_prune',
      'lock_audit_chain_head',
      'outbox_backlog',
      'prune_outbox_messages',
      'tenant_ref_by_id',
      'tenant_ref_by_slug',
    ]);
    for (const fn of fns.rows) {
      expect(fn.config).toContain('search_path=pg_catalog, pg_temp');
      expect(fn.public).toBe(false);
    }
  });
});

describe('the start-up self-check refuses a weakened schema', () => {
  it('names a tenant table whose row level security is not forced', async () => {
    await database.ownerKnex.raw('alter table core.users no force row level security');
    try {
      await expect(assertIsolationHolds(database.appKnex)).rejects.toThrow(
        /table core\.users does not force row level security/,
      );
    } finally {
      await database.ownerKnex.raw('alter table core.users force row level security');
    }
    await expect(assertIsolationHolds(database.appKnex)).resolves.toBeUndefined();
  });

  it('names a new table with tenant_id and no policy, and a view without security_invoker', async () => {
    await database.ownerKnex.raw(
      'create table core.widgets (tenant_id uuid not null, id uuid not null, primary key (tenant_id, id))',
    );
    await database.ownerKnex.raw(
      'create view core.user_emails as select tenant_id, email from core.users',
    );
    try {
      const error = await errorOf(assertIsolationHolds(database.appKnex));
      expect(error.message).toMatch(/table core\.widgets does not enable row level security/);
      expect(error.message).toMatch(/table core\.widgets has no row level security policy/);
      expect(error.message).toMatch(/view core\.user_emails is not security_invoker/);
      expect(error.message).not.toMatch(/core\.users/);
    } finally {
      await database.ownerKnex.raw('drop view core.user_emails');
      await database.ownerKnex.raw('drop table core.widgets');
    }
  });
});
