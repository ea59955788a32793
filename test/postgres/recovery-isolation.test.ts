import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { RandomIdGenerator } from '../../src/adapters/outbound/crypto/random-id-generator.js';
import { PgRecoveryUnitOfWork } from '../../src/adapters/outbound/postgres/pg-recovery-unit-of-work.js';
import { PgUnitOfWork } from '../../src/adapters/outbound/postgres/pg-unit-of-work.js';
import { APP_GROUP_ROLE } from '../../src/adapters/outbound/postgres/pg-schema.js';
import { PLATFORM_TENANT_ID } from '../../src/domain/shared/platform-tenant.js';
import { aTenant, anotherTenant, TENANT_A_ID, TENANT_B_ID } from '../mothers/tenant.mother.js';
import { aUser, USER_ID } from '../mothers/user.mother.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { countRows, errorOf, inTenantSession } from '../support/app-session.js';

const USER_B_ID = '0c000000-0000-4000-8000-0000000000bb';
const A_TOKEN = '0d000000-0000-4000-8000-00000000000a';
const B_TOKEN = '0d000000-0000-4000-8000-00000000000b';

let database: TestDatabase;
/** A single app-role session, to run SQL exactly as written. */
let app: pg.Client;

const asTenant = (tenantId: string | undefined, body: () => Promise<void>): Promise<void> =>
  inTenantSession(app, tenantId, body);

const count = (sql: string, values: unknown[] = []): Promise<number> => countRows(app, sql, values);

beforeAll(async () => {
  database = await createTestDatabase();
  const uow = new PgUnitOfWork(database.appKnex);
  await uow.inTenant(PLATFORM_TENANT_ID, async ({ tenants }) => {
    await tenants.insert(aTenant());
    await tenants.insert(anotherTenant());
  });
  await uow.inTenant(TENANT_A_ID, ({ users }) => users.insert(aUser()));
  await uow.inTenant(TENANT_B_ID, ({ users }) =>
    users.insert(aUser({ tenantId: TENANT_B_ID, id: USER_B_ID })),
  );
  const recovery = new PgRecoveryUnitOfWork(database.appKnex, new RandomIdGenerator());
  for (const [tenantId, id, userId] of [
    [TENANT_A_ID, A_TOKEN, USER_ID],
    [TENANT_B_ID, B_TOKEN, USER_B_ID],
  ] as const) {
    await recovery.inTenant(tenantId, async (scope) => {
      await scope.tokens.insert({
        tenantId,
        id,
        userId,
        purpose: 'password_reset',
        tokenHash: new Uint8Array(32).fill(7),
        expiresAt: new Date(Date.now() + 60_000),
        usedAt: undefined,
        createdAt: new Date(),
      });
      await scope.notifier.notify({
        kind: 'password_reset',
        recipient: `${tenantId}@x.test`,
        subject: 's',
        bodyText: 'b',
      });
    });
  }
  app = new pg.Client({ connectionString: database.appUrl });
  await app.connect();
});

afterAll(async () => {
  await app.end();
  await database.drop();
});

describe.each(['user_tokens', 'outbox_messages'])('core.%s as the app role', (table) => {
  it('shows no rows with no tenant set', async () => {
    await asTenant(undefined, async () => {
      expect(await count(`select * from core.${table}`)).toBe(0);
    });
  });

  it("shows tenant A only A's rows", async () => {
    await asTenant(TENANT_A_ID, async () => {
      expect(await count(`select * from core.${table}`)).toBe(1);
      expect(await count(`select * from core.${table} where tenant_id = $1`, [TENANT_B_ID])).toBe(
        0,
      );
    });
  });

  it("neither updates nor deletes B's rows from A", async () => {
    await asTenant(TENANT_A_ID, async () => {
      const updated = await app.query(
        `update core.${table} set created_at = now() where tenant_id = $1`,
        [TENANT_B_ID],
      );
      expect(updated.rowCount).toBe(0);
      const deleted = await app.query(`delete from core.${table} where tenant_id = $1`, [
        TENANT_B_ID,
      ]);
      expect(deleted.rowCount).toBe(0);
    });
  });

  it('has RLS enabled and forced', async () => {
    const { rows } = await app.query<{ relrowsecurity: boolean; relforcerowsecurity: boolean }>(
      `select relrowsecurity, relforcerowsecurity from pg_class where oid = $1::regclass`,
      [`core.${table}`],
    );
    expect(rows[0]).toEqual({ relrowsecurity: true, relforcerowsecurity: true });
  });
});

describe('writing across tenants', () => {
  it("refuses a token written into B's rows from A", async () => {
    await asTenant(TENANT_A_ID, async () => {
      const error = await errorOf(
        app.query(
          `insert into core.user_tokens (tenant_id, id, user_id, purpose, token_hash, expires_at)
           values ($1, gen_random_uuid(), $2, 'password_reset', $3, now())`,
          [TENANT_B_ID, USER_B_ID, Buffer.alloc(32, 9)],
        ),
      );
      expect(error.code).toBe('42501');
    });
  });

  it('keeps token hashes unique per tenant only (the same hash in A and B exists)', async () => {
    await asTenant(TENANT_A_ID, async () => {
      expect(
        await count('select * from core.user_tokens where token_hash = $1', [Buffer.alloc(32, 7)]),
      ).toBe(1);
    });
  });
});

describe('core.claim_outbox_messages', () => {
  it('is executable by the app group only, with a pinned search_path', async () => {
    const { rows } = await database.ownerKnex.raw<{
      rows: { public_exec: boolean; app_exec: boolean; config: string[] | null; secdef: boolean }[];
    }>(
      `select has_function_privilege('public', p.oid, 'execute') as public_exec,
              has_function_privilege(?, p.oid, 'execute') as app_exec,
              p.proconfig as config, p.prosecdef as secdef
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname = 'core' and p.proname = 'claim_outbox_messages'`,
      [APP_GROUP_ROLE],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]?.public_exec).toBe(false);
    expect(rows[0]?.app_exec).toBe(true);
    expect(rows[0]?.secdef).toBe(true);
    expect(rows[0]?.config).toEqual(['search_path=pg_catalog, pg_temp']);
  });

  it("claims every tenant's due mail for the app role, and nothing else is revealed", async () => {
    await asTenant(TENANT_A_ID, async () => {
      const { rows } = await app.query<{ tenant_id: string }>(
        'select tenant_id from core.claim_outbox_messages(10, 60, 10)',
      );
      expect(rows.map((r) => r.tenant_id).sort()).toEqual([TENANT_A_ID, TENANT_B_ID]);
      // The app role still sees only its tenant's rows afterwards.
      expect(await count('select * from core.outbox_messages')).toBe(1);
    });
  });
});
