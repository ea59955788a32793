import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { PgIdempotencyStore } from '../../src/adapters/outbound/postgres/pg-idempotency.store.js';
import { PgUnitOfWork } from '../../src/adapters/outbound/postgres/pg-unit-of-work.js';
import { PLATFORM_TENANT_ID } from '../../src/domain/shared/platform-tenant.js';
import { aTenant, anotherTenant, TENANT_A_ID, TENANT_B_ID } from '../mothers/tenant.mother.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { countRows, errorOf, inTenantSession } from '../support/app-session.js';

const KEY = 'shared-key-0001';
const PRINCIPAL = 'user-0001';
const OPERATION = '/wemaster.core.v1.TenancyService/CreateTenant';

let database: TestDatabase;
/** A single app-role session, to run SQL exactly as written. */
let app: pg.Client;

const asTenant = (tenantId: string, body: () => Promise<void>): Promise<void> =>
  inTenantSession(app, tenantId, body);

const count = (sql: string, values: unknown[] = []): Promise<number> => countRows(app, sql, values);

beforeAll(async () => {
  database = await createTestDatabase();
  await new PgUnitOfWork(database.ownerKnex).inTenant(PLATFORM_TENANT_ID, async ({ tenants }) => {
    await tenants.insert(aTenant());
    await tenants.insert(anotherTenant());
  });
  // The same key in both tenants, written through the store as the app role.
  const store = new PgIdempotencyStore(database.appKnex, { now: () => new Date() });
  for (const tenantId of [TENANT_A_ID, TENANT_B_ID]) {
    const scope = { tenantId, principalId: PRINCIPAL, operation: OPERATION };
    const first = await store.begin({ scope, key: KEY, fingerprint: 'fp', leaseMs: 60_000 });
    if (first.state !== 'new') throw new Error('expected a new key');
  }
  app = new pg.Client({ connectionString: database.appUrl });
  await app.connect();
});

afterAll(async () => {
  await app.end();
  await database.drop();
});

describe('core.idempotency_keys as the app role', () => {
  it('shows no rows with no tenant set', async () => {
    expect(await count('select * from core.idempotency_keys')).toBe(0);
  });

  it("shows tenant A only A's rows", async () => {
    await asTenant(TENANT_A_ID, async () => {
      expect(await count('select * from core.idempotency_keys')).toBe(1);
      expect(
        await count('select * from core.idempotency_keys where tenant_id = $1', [TENANT_B_ID]),
      ).toBe(0);
    });
  });

  it("does not let tenant A update B's rows, nor move its own into B", async () => {
    await asTenant(TENANT_A_ID, async () => {
      const updated = await app.query(
        "update core.idempotency_keys set fingerprint = 'pwned' where tenant_id = $1",
        [TENANT_B_ID],
      );
      expect(updated.rowCount).toBe(0);
      const error = await errorOf(
        app.query('update core.idempotency_keys set tenant_id = $1', [TENANT_B_ID]),
      );
      expect(error.code).toBe('42501');
    });
    const owner = await database.ownerKnex.raw<{ rows: { fingerprint: string }[] }>(
      'select fingerprint from core.idempotency_keys where tenant_id = ?',
      [TENANT_B_ID],
    );
    expect(owner.rows).toEqual([{ fingerprint: 'fp' }]);
  });

  it('does not let tenant A insert a row for B', async () => {
    await asTenant(TENANT_A_ID, async () => {
      const error = await errorOf(
        app.query(
          `insert into core.idempotency_keys (tenant_id, principal_id, operation, idempotency_key,
             fingerprint, state, expires_at) values ($1, 'p', 'o', 'k', 'f', 'in_progress', now())`,
          [TENANT_B_ID],
        ),
      );
      expect(error.code).toBe('42501');
    });
  });

  it('cannot DELETE at all, not even its own rows', async () => {
    await asTenant(TENANT_A_ID, async () => {
      const error = await errorOf(app.query('delete from core.idempotency_keys'));
      expect(error.code).toBe('42501');
      expect(error.message).toMatch(/permission denied/);
    });
  });

  it("gains nothing by setting the prune function's switch itself", async () => {
    await asTenant(TENANT_A_ID, async () => {
      await app.query("select set_config('app.idempotency_prune', 'on', true)");
      expect(await count('select * from core.idempotency_keys')).toBe(1);
      const updated = await app.query(
        "update core.idempotency_keys set fingerprint = 'pwned' where tenant_id = $1",
        [TENANT_B_ID],
      );
      expect(updated.rowCount).toBe(0);
    });
  });

  it('may prune (only expired rows go), and the prune does not leak its switch', async () => {
    await asTenant(TENANT_A_ID, async () => {
      const pruned = await app.query<{ deleted: number }>(
        'select core.idempotency_prune(100) as deleted',
      );
      expect(pruned.rows[0]?.deleted).toBe(0);
      const setting = await app.query<{ value: string | null }>(
        "select current_setting('app.idempotency_prune', true) as value",
      );
      expect(setting.rows[0]?.value ?? '').toBe('');
      expect(await count('select * from core.idempotency_keys')).toBe(1);
    });
  });
});
