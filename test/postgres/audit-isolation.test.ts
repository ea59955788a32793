import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { PgAuditLog } from '../../src/adapters/outbound/postgres/pg-audit-log.js';
import { PgUnitOfWork } from '../../src/adapters/outbound/postgres/pg-unit-of-work.js';
import { APP_GROUP_ROLE } from '../../src/adapters/outbound/postgres/pg-schema.js';
import { AUDIT_CHAIN_CONFLICT } from '../../src/adapters/outbound/shared/buffered-audit-recorder.js';
import { PLATFORM_TENANT_ID } from '../../src/domain/shared/platform-tenant.js';
import { anAuditEvent } from '../mothers/audit-event.mother.js';
import { aTenant, anotherTenant, TENANT_A_ID, TENANT_B_ID } from '../mothers/tenant.mother.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { countRows, errorOf, inTenantSession } from '../support/app-session.js';

const A_EVENT = '0e000000-0000-4000-8000-00000000000a';
const B_EVENT = '0e000000-0000-4000-8000-00000000000b';

let database: TestDatabase;
/** A single app-role session, to run SQL exactly as written. */
let app: pg.Client;

const asTenant = (tenantId: string, body: () => Promise<void>): Promise<void> =>
  inTenantSession(app, tenantId, body);

const count = (sql: string, values: unknown[] = []): Promise<number> => countRows(app, sql, values);

beforeAll(async () => {
  database = await createTestDatabase();
  await new PgUnitOfWork(database.appKnex).inTenant(PLATFORM_TENANT_ID, async ({ tenants }) => {
    await tenants.insert(aTenant());
    await tenants.insert(anotherTenant());
  });
  await new PgAuditLog(database.appKnex).append([
    anAuditEvent({ id: A_EVENT }),
    anAuditEvent({ id: B_EVENT, tenantId: TENANT_B_ID }),
  ]);
  app = new pg.Client({ connectionString: database.appUrl });
  await app.connect();
});

afterAll(async () => {
  await app.end();
  await database.drop();
});

describe('core.audit_events as the app role', () => {
  it('shows no rows with no tenant set', async () => {
    expect(await count('select * from core.audit_events')).toBe(0);
  });

  it("shows tenant A only A's events", async () => {
    await asTenant(TENANT_A_ID, async () => {
      expect(await count('select * from core.audit_events')).toBe(1);
      expect(await count('select * from core.audit_events where id = $1', [B_EVENT])).toBe(0);
    });
    expect((await new PgAuditLog(database.appKnex).list(TENANT_A_ID, 10)).map((e) => e.id)).toEqual(
      [A_EVENT],
    );
  });

  it("does not let tenant A write an event into B's log", async () => {
    await asTenant(TENANT_A_ID, async () => {
      const error = await errorOf(
        app.query(
          `insert into core.audit_events (tenant_id, id, occurred_at, actor_kind, action, outcome)
           values ($1, gen_random_uuid(), now(), 'anonymous', 'x', 'failure')`,
          [TENANT_B_ID],
        ),
      );
      expect(error.code).toBe('42501');
    });
  });

  it('refuses UPDATE of its own tenant’s events (no privilege)', async () => {
    await asTenant(TENANT_A_ID, async () => {
      const error = await errorOf(
        app.query("update core.audit_events set outcome = 'success' where id = $1", [A_EVENT]),
      );
      expect(error.code).toBe('42501');
      expect(error.message).toMatch(/permission denied/);
    });
  });

  it('refuses DELETE of its own tenant’s events (no privilege)', async () => {
    await asTenant(TENANT_A_ID, async () => {
      const error = await errorOf(
        app.query('delete from core.audit_events where id = $1', [A_EVENT]),
      );
      expect(error.code).toBe('42501');
      expect(error.message).toMatch(/permission denied/);
    });
  });

  it('refuses TRUNCATE', async () => {
    const error = await errorOf(app.query('truncate core.audit_events'));
    expect(error.code).toBe('42501');
  });

  it('refuses UPDATE and DELETE even to the owner (append-only trigger)', async () => {
    const owner = database.ownerKnex;
    await expect(
      owner.raw("update core.audit_events set outcome = 'success' where id = ?", [A_EVENT]),
    ).rejects.toMatchObject({ message: expect.stringMatching(/append-only/) as unknown });
    await expect(
      owner.raw('delete from core.audit_events where id = ?', [A_EVENT]),
    ).rejects.toMatchObject({ message: expect.stringMatching(/append-only/) as unknown });
  });

  it('is covered by the start-up isolation self-check (RLS enabled, forced, with a policy)', async () => {
    const rows = await database.ownerKnex.raw<{
      rows: { relrowsecurity: boolean; relforcerowsecurity: boolean; policies: string }[];
    }>(
      `select c.relrowsecurity, c.relforcerowsecurity,
              (select count(*) from pg_catalog.pg_policy p where p.polrelid = c.oid) as policies
         from pg_catalog.pg_class c where c.oid = 'core.audit_events'::regclass`,
    );
    expect(rows.rows[0]).toMatchObject({ relrowsecurity: true, relforcerowsecurity: true });
    expect(Number(rows.rows[0]?.policies)).toBeGreaterThan(0);
  });
});

describe('core.audit_chain_heads as the app role', () => {
  it('shows no head with no tenant set, and tenant A only its own', async () => {
    expect(await count('select * from core.audit_chain_heads')).toBe(0);
    await asTenant(TENANT_A_ID, async () => {
      expect(await count('select * from core.audit_chain_heads')).toBe(1);
      expect(
        await count('select * from core.audit_chain_heads where tenant_id = $1', [TENANT_B_ID]),
      ).toBe(0);
    });
  });

  it("does not let tenant A create, move or delete B's head", async () => {
    await asTenant(TENANT_A_ID, async () => {
      const error = await errorOf(
        app.query(
          'update core.audit_chain_heads set last_sequence = last_sequence + 1 where tenant_id = $1',
          [TENANT_B_ID],
        ),
      );
      expect(error.code).toBe('42501');
    });
    await asTenant(TENANT_A_ID, async () => {
      const error = await errorOf(
        app.query('insert into core.audit_chain_heads (tenant_id) values ($1)', [TENANT_B_ID]),
      );
      expect(error.code).toBe('42501');
    });
    await asTenant(TENANT_A_ID, async () => {
      const error = await errorOf(app.query('delete from core.audit_chain_heads'));
      expect(error.code).toBe('42501');
    });
  });

  it('does not let a tenant move its own anchor (only the owner prunes)', async () => {
    await asTenant(TENANT_A_ID, async () => {
      const error = await errorOf(
        app.query('update core.audit_chain_heads set anchor_sequence = 1, anchor_hash = last_hash'),
      );
      expect(error.code).toBe('42501');
    });
  });

  it("does not let tenant A write an event into B's chain at B's next sequence", async () => {
    await asTenant(TENANT_A_ID, async () => {
      const error = await errorOf(
        app.query(
          `insert into core.audit_events (tenant_id, id, occurred_at, actor_kind, action, outcome, sequence, prev_hash, hash)
           values ($1, gen_random_uuid(), now(), 'anonymous', 'x', 'failure', 2, $2, $2)`,
          [TENANT_B_ID, Buffer.alloc(32)],
        ),
      );
      expect(error.code).toBe('42501');
    });
  });

  it('does not let a tenant move its own head, nor create one (the chain guard does)', async () => {
    await asTenant(TENANT_A_ID, async () => {
      const error = await errorOf(
        app.query(
          `update core.audit_chain_heads set last_sequence = 0, last_hash = $1 where tenant_id = $2`,
          [Buffer.alloc(32), TENANT_A_ID],
        ),
      );
      expect(error.code).toBe('42501');
    });
    await asTenant(TENANT_A_ID, async () => {
      const error = await errorOf(
        app.query(
          'insert into core.audit_chain_heads (tenant_id) values ($1) on conflict do nothing',
          [TENANT_A_ID],
        ),
      );
      expect(error.code).toBe('42501');
    });
    const grants = await database.ownerKnex.raw<{ rows: { privilege_type: string }[] }>(
      `select privilege_type from information_schema.table_privileges
        where table_schema = 'core' and table_name = 'audit_chain_heads' and grantee = ?
       union all
       select privilege_type from information_schema.column_privileges
        where table_schema = 'core' and table_name = 'audit_chain_heads' and grantee = ?
          and privilege_type <> 'SELECT'`,
      [APP_GROUP_ROLE, APP_GROUP_ROLE],
    );
    expect(grants.rows.map((row) => row.privilege_type)).toEqual(['SELECT']);
  });

  it("locks only the current tenant's head through lock_audit_chain_head", async () => {
    await asTenant(TENANT_A_ID, async () => {
      const error = await errorOf(
        app.query('select * from core.lock_audit_chain_head($1)', [TENANT_B_ID]),
      );
      expect(error.code).toBe('42501');
    });
    await asTenant(TENANT_A_ID, async () => {
      const own = await app.query<{ last_sequence: string }>(
        'select * from core.lock_audit_chain_head($1)',
        [TENANT_A_ID],
      );
      expect(own.rows.map((row) => Number(row.last_sequence))).toEqual([1]);
    });
  });

  describe('refuses an event row that does not continue the chain (the chain guard)', () => {
    const insertEvent = (sequence: number, prevHash: Buffer, hash = Buffer.alloc(32, 0x11)) =>
      app.query(
        `insert into core.audit_events (tenant_id, id, occurred_at, actor_kind, action, outcome, details, sequence, prev_hash, hash)
         values ($1, gen_random_uuid(), now(), 'user', 'authz.role.deleted', 'success', '{"forged": true}', $2, $3, $4)`,
        [TENANT_A_ID, sequence, prevHash, hash],
      );
    const headOfA = async (): Promise<{ sequence: number; hash: Buffer }> => {
      const row = (
        await app.query<{ last_sequence: string; last_hash: Buffer }>(
          'select last_sequence, last_hash from core.audit_chain_heads',
        )
      ).rows[0];
      return { sequence: Number(row?.last_sequence), hash: row?.last_hash ?? Buffer.alloc(0) };
    };

    it('past the head (a row no verification would walk)', async () => {
      await asTenant(TENANT_A_ID, async () => {
        const head = await headOfA();
        const error = await errorOf(insertEvent(head.sequence + 2, head.hash));
        expect(error.code).toBe(AUDIT_CHAIN_CONFLICT);
      });
    });

    it('at the next sequence with a garbage previous hash', async () => {
      await asTenant(TENANT_A_ID, async () => {
        const head = await headOfA();
        const error = await errorOf(insertEvent(head.sequence + 1, Buffer.alloc(32, 0x22)));
        expect(error.code).toBe(AUDIT_CHAIN_CONFLICT);
      });
    });

    it('at or below the head (a fork)', async () => {
      await asTenant(TENANT_A_ID, async () => {
        const head = await headOfA();
        const error = await errorOf(insertEvent(head.sequence, head.hash));
        expect(error.code).toBe(AUDIT_CHAIN_CONFLICT);
      });
    });

    it('lets a continuing row through and moves the head to it (the app cannot)', async () => {
      await asTenant(TENANT_A_ID, async () => {
        const head = await headOfA();
        const hash = Buffer.alloc(32, 0x33);
        await insertEvent(head.sequence + 1, head.hash, hash);
        expect(await headOfA()).toEqual({ sequence: head.sequence + 1, hash });
      });
    });
  });

  it('is covered by the start-up isolation self-check (RLS enabled, forced, with a policy)', async () => {
    const rows = await database.ownerKnex.raw<{
      rows: { relrowsecurity: boolean; relforcerowsecurity: boolean; policies: string }[];
    }>(
      `select c.relrowsecurity, c.relforcerowsecurity,
              (select count(*) from pg_catalog.pg_policy p where p.polrelid = c.oid) as policies
         from pg_catalog.pg_class c where c.oid = 'core.audit_chain_heads'::regclass`,
    );
    expect(rows.rows[0]).toMatchObject({ relrowsecurity: true, relforcerowsecurity: true });
    expect(Number(rows.rows[0]?.policies)).toBeGreaterThan(0);
  });
});
