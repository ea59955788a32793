import knexFactory, { type Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKnex } from '../../src/adapters/outbound/postgres/knex.factory.js';
import { PgUnitOfWork } from '../../src/adapters/outbound/postgres/pg-unit-of-work.js';
import { tenantTransaction } from '../../src/adapters/outbound/postgres/tenant-transactions.js';
import { PLATFORM_TENANT_ID } from '../../src/domain/shared/platform-tenant.js';
import { aTenant, anotherTenant, TENANT_A_ID, TENANT_B_ID } from '../mothers/tenant.mother.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

// A tenant transaction sets the tenant in its BEGIN's round trip and sends its final statements
// with its COMMIT. On one pooled connection, so that what a transaction leaves behind would
// show in the next one.

let database: TestDatabase;
let single: Knex;

const setting = async (db: Knex | Knex.Transaction): Promise<string | null> => {
  const { rows } = await db.raw<{ rows: { tenant: string | null }[] }>(
    `select nullif(current_setting('app.tenant_id', true), '') as tenant`,
  );
  return rows[0]?.tenant ?? null;
};

const markers = async (db: Knex, tenantId: string): Promise<string[]> =>
  tenantTransaction(db, tenantId, async (trx) => {
    const rows = await trx('core.idempotency_keys')
      .where({ operation: '/test/Marker' })
      .orderBy('idempotency_key')
      .select<{ idempotency_key: string }[]>('idempotency_key');
    return rows.map((row) => row.idempotency_key);
  });

const marker = (tenantId: string, key: string): string =>
  `insert into core.idempotency_keys (tenant_id, principal_id, operation, idempotency_key,
     fingerprint, state, expires_at) values ('${tenantId}', 'p', '/test/Marker', '${key}', 'f',
     'completed', now() + interval '1 hour')`;

beforeAll(async () => {
  database = await createTestDatabase();
  single = createKnex(database.appUrl, { poolMax: 1 });
  await new PgUnitOfWork(database.appKnex).inTenant(PLATFORM_TENANT_ID, async ({ tenants }) => {
    await tenants.insert(aTenant());
    await tenants.insert(anotherTenant());
  });
});

afterAll(async () => {
  await single.destroy();
  await database.drop();
});

describe('tenantTransaction', () => {
  it('is confined to its tenant from the first statement, set in the round trip of BEGIN', async () => {
    const sent: string[] = [];
    const record = (query: { sql: string }) => sent.push(query.sql);
    single.on('query', record);
    try {
      const seen = await tenantTransaction(single, TENANT_A_ID, (trx) => setting(trx));
      expect(seen).toBe(TENANT_A_ID);
    } finally {
      single.off('query', record);
    }
    // Through knex: the work's one statement and the COMMIT; the setting went with the BEGIN.
    expect(sent).toEqual([expect.stringContaining('current_setting'), 'COMMIT;']);
    // Transaction-local: the pooled connection keeps no tenant.
    expect(await setting(single)).toBeNull();
  });

  it('makes its opening read with the BEGIN, under its tenant, before the work starts', async () => {
    await tenantTransaction(single, TENANT_B_ID, (trx) => trx.raw(marker(TENANT_B_ID, 'b-only')));
    let taken: readonly unknown[] | undefined;
    const seenByWork = await tenantTransaction(single, TENANT_A_ID, () => Promise.resolve(taken), {
      opening: {
        // Row-level security: tenant B's row is not among them.
        sql: `select idempotency_key, current_setting('app.tenant_id') as tenant
                  from core.idempotency_keys where operation = '/test/Marker'
                  and idempotency_key in ('b-only', 'it''s ?')`,
        take: (rows) => {
          taken = rows;
        },
      },
    });
    expect(seenByWork).toEqual([]);
    await tenantTransaction(single, TENANT_A_ID, (trx) => trx.raw(marker(TENANT_A_ID, 'a-row')));
    const rows = await tenantTransaction(single, TENANT_A_ID, () => Promise.resolve(taken), {
      opening: {
        sql: `select idempotency_key, current_setting('app.tenant_id') as tenant
                from core.idempotency_keys where idempotency_key = 'a-row'`,
        take: (found) => {
          taken = found;
        },
      },
    });
    expect(rows).toEqual([{ idempotency_key: 'a-row', tenant: TENANT_A_ID }]);
  });

  it('rolls back when its opening read fails, and hands back a clean connection', async () => {
    let workRan = false;
    await expect(
      tenantTransaction(
        single,
        TENANT_A_ID,
        () => {
          workRan = true;
          return Promise.resolve();
        },
        { opening: { sql: 'select 1/0', take: () => undefined } },
      ),
    ).rejects.toMatchObject({ code: '22012' });
    expect(workRan).toBe(false);
    const { rows } = await single.raw<{ rows: { outside: boolean }[] }>(
      `select pg_current_xact_id_if_assigned() is null as outside`,
    );
    expect(rows[0]?.outside).toBe(true);
    expect(await setting(single)).toBeNull();
  });

  it('commits its final statements with the COMMIT, in order, under its tenant', async () => {
    await tenantTransaction(single, TENANT_A_ID, () => Promise.resolve(), {
      finalStatements: [
        { sql: marker(TENANT_A_ID, 'final-1') },
        { sql: marker(TENANT_A_ID, 'final-2') },
      ],
    });
    const finals = (await markers(single, TENANT_A_ID)).filter((key) => key.startsWith('final-'));
    expect(finals).toEqual(['final-1', 'final-2']);
    // Row-level security applied to them: another tenant's row cannot be written that way.
    await expect(
      tenantTransaction(single, TENANT_A_ID, () => Promise.resolve(), {
        finalStatements: [{ sql: marker(TENANT_B_ID, 'smuggled') }],
      }),
    ).rejects.toThrow(/row-level security/);
    expect(await markers(single, TENANT_B_ID)).not.toContain('smuggled');
  });

  it('rolls back everything when a final statement fails, with the error it stands for, and hands back a clean connection', async () => {
    const meant = new Error('the statement meant this');
    const failing = tenantTransaction(
      single,
      TENANT_A_ID,
      async (trx) => {
        await trx.raw(marker(TENANT_A_ID, 'work-write'));
      },
      {
        finalStatements: [
          { sql: marker(TENANT_A_ID, 'before-failure') },
          {
            sql: `select 1/0`,
            explain: (error) => ((error as { code?: string }).code === '22012' ? meant : undefined),
          },
          { sql: marker(TENANT_A_ID, 'after-failure') },
        ],
      },
    );
    await expect(failing).rejects.toBe(meant);
    expect(await markers(single, TENANT_A_ID)).not.toContain('work-write');
    expect(await markers(single, TENANT_A_ID)).not.toContain('before-failure');
    // The one connection is usable, outside any transaction, and a new transaction commits.
    const { rows } = await single.raw<{ rows: { outside: boolean }[] }>(
      `select pg_current_xact_id_if_assigned() is null as outside`,
    );
    expect(rows[0]?.outside).toBe(true);
    await tenantTransaction(single, TENANT_A_ID, () => Promise.resolve(), {
      finalStatements: [{ sql: marker(TENANT_A_ID, 'next') }],
    });
    expect(await markers(single, TENANT_A_ID)).toContain('next');
  });

  it('keeps a failure of its own with the database error when nothing explains it', async () => {
    await expect(
      tenantTransaction(single, TENANT_A_ID, () => Promise.resolve(), {
        finalStatements: [{ sql: 'select 1/0' }],
      }),
    ).rejects.toMatchObject({ code: '22012' });
    expect(await setting(single)).toBeNull();
  });

  it('refuses a tenant that is not a UUID and a knex instance not made by createKnex', async () => {
    expect(() =>
      tenantTransaction(single, "x'; drop table core.tenants; --", () => Promise.resolve()),
    ).toThrow(/UUID/);
    const plain = knexFactory({ client: 'pg', connection: database.appUrl });
    try {
      expect(() => tenantTransaction(plain, TENANT_A_ID, () => Promise.resolve())).toThrow(
        /createKnex/,
      );
    } finally {
      await plain.destroy();
    }
  });
});
