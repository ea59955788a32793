import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { PgSessionStore } from '../../src/adapters/outbound/postgres/pg-session-store.js';
import { PgUnitOfWork } from '../../src/adapters/outbound/postgres/pg-unit-of-work.js';
import { PLATFORM_TENANT_ID } from '../../src/domain/shared/platform-tenant.js';
import { aRefreshToken, aSession, hashOf } from '../mothers/session.mother.js';
import { aTenant, anotherTenant, TENANT_A_ID, TENANT_B_ID } from '../mothers/tenant.mother.js';
import { aUser } from '../mothers/user.mother.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { countRows, inTenantSession } from '../support/app-session.js';

const USER_B = '0c000000-0000-4000-8000-0000000000bb';
const SESSION_B = '05000000-0000-7000-8000-0000000000bb';
const TOKEN_B = '06000000-0000-7000-8000-0000000000bb';

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
  await uow.inTenant(TENANT_A_ID, ({ users }) => users.insert(aUser()));
  await uow.inTenant(TENANT_B_ID, ({ users }) =>
    users.insert(aUser({ tenantId: TENANT_B_ID, id: USER_B })),
  );
  const store = new PgSessionStore(database.appKnex);
  await store.inTenant(TENANT_A_ID, async (s) => {
    await s.insertSession(aSession());
    await s.insertRefreshToken(aRefreshToken());
  });
  await store.inTenant(TENANT_B_ID, async (s) => {
    await s.insertSession(aSession({ tenantId: TENANT_B_ID, id: SESSION_B, userId: USER_B }));
    await s.insertRefreshToken(
      aRefreshToken({
        tenantId: TENANT_B_ID,
        id: TOKEN_B,
        sessionId: SESSION_B,
        tokenHash: hashOf('b'),
      }),
    );
  });
  app = new pg.Client({ connectionString: database.appUrl });
  await app.connect();
});

afterAll(async () => {
  await app.end();
  await database.drop();
});

describe('core.sessions and core.refresh_tokens as the app role', () => {
  it('show no rows with no tenant set', async () => {
    expect(await count('select * from core.sessions')).toBe(0);
    expect(await count('select * from core.refresh_tokens')).toBe(0);
  });

  it("show tenant A only A's rows, and let it change none of B's", async () => {
    await asTenant(TENANT_A_ID, async () => {
      expect(await count('select * from core.sessions')).toBe(1);
      expect(await count('select * from core.refresh_tokens')).toBe(1);
      expect(await count('select * from core.sessions where id = $1', [SESSION_B])).toBe(0);
      expect(await count('select * from core.refresh_tokens where id = $1', [TOKEN_B])).toBe(0);
      const revoked = await app.query(
        "update core.sessions set revoked_at = now(), revoked_reason = 'x' where id = $1",
        [SESSION_B],
      );
      expect(revoked.rowCount).toBe(0);
      const claimed = await app.query(
        'update core.refresh_tokens set used_at = now() where id = $1 and used_at is null',
        [TOKEN_B],
      );
      expect(claimed.rowCount).toBe(0);
    });
  });

  it('does not let tenant A write a session or token into B', async () => {
    await asTenant(TENANT_A_ID, async () => {
      await expect(
        app.query(
          `insert into core.sessions (tenant_id, id, user_id, created_at, last_used_at,
             idle_expires_at, absolute_expires_at)
           values ($1, gen_random_uuid(), $2, now(), now(), now(), now())`,
          [TENANT_B_ID, USER_B],
        ),
      ).rejects.toThrow(/row-level security/);
    });
  });

  it('has RLS enabled and forced, and no DELETE for the app role', async () => {
    const owner = await database.ownerKnex.raw<{
      rows: { relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean }[];
    }>(
      `select relname, relrowsecurity, relforcerowsecurity from pg_class
        where relnamespace = 'core'::regnamespace and relname in ('sessions', 'refresh_tokens')`,
    );
    expect(owner.rows).toHaveLength(2);
    for (const row of owner.rows) {
      expect(row.relrowsecurity).toBe(true);
      expect(row.relforcerowsecurity).toBe(true);
    }
    await asTenant(TENANT_A_ID, async () => {
      await expect(app.query('delete from core.sessions')).rejects.toThrow(/permission denied/);
    });
  });
});
