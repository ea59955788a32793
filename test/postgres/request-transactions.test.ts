import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { randomUUID } from 'node:crypto';
import { createKnex } from '../../src/adapters/outbound/postgres/knex.factory.js';
import { PgAuditLog } from '../../src/adapters/outbound/postgres/pg-audit-log.js';
import { PgRequestTransactions } from '../../src/adapters/outbound/postgres/pg-request-transactions.js';
import { PgUnitOfWork } from '../../src/adapters/outbound/postgres/pg-unit-of-work.js';
import { PLATFORM_TENANT_ID } from '../../src/domain/shared/platform-tenant.js';
import { anAuditEvent } from '../mothers/audit-event.mother.js';
import { aTenant, anotherTenant, TENANT_A_ID, TENANT_B_ID } from '../mothers/tenant.mother.js';
import { aUser } from '../mothers/user.mother.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { deferred } from '../support/deferred.js';
import { eventually } from '../support/eventually.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

const prepare = async (): Promise<PgUnitOfWork> => {
  await database.reset();
  const uow = new PgUnitOfWork(database.appKnex);
  await uow.inTenant(PLATFORM_TENANT_ID, async ({ tenants }) => {
    await tenants.insert(aTenant());
    await tenants.insert(anotherTenant());
  });
  return uow;
};

const userCount = async (uow: PgUnitOfWork, tenantId: string): Promise<number> =>
  uow.inTenant(
    tenantId,
    async ({ users }) => (await users.list({ limit: 100, after: undefined })).items.length,
  );

describe('units of work joining a request transaction (no savepoints)', () => {
  it('commits every joined unit of work together, across tenant switches', async () => {
    const uow = await prepare();
    await new PgRequestTransactions(database.appKnex).run(
      TENANT_A_ID,
      async () => {
        await uow.inTenant(TENANT_A_ID, ({ users }) => users.insert(aUser()));
        await uow.inTenant(TENANT_B_ID, ({ users }) =>
          users.insert(
            aUser({ tenantId: TENANT_B_ID, id: '0b000000-0000-4000-8000-0000000000b2' }),
          ),
        );
        // Back in the request's tenant: the switch to B did not leak.
        return uow.inTenant(TENANT_A_ID, async ({ users }) => {
          expect((await users.list({ limit: 10, after: undefined })).items).toHaveLength(1);
        });
      },
      () => Promise.resolve(),
    );
    expect(await userCount(uow, TENANT_A_ID)).toBe(1);
    expect(await userCount(uow, TENANT_B_ID)).toBe(1);
  });

  it('never commits a request whose handler caught a failed unit of work and carried on', async () => {
    const uow = await prepare();
    let beforeCommitRan = false;
    const request = new PgRequestTransactions(database.appKnex).run(
      TENANT_A_ID,
      async () => {
        await uow.inTenant(TENANT_A_ID, ({ users }) => users.insert(aUser()));
        // The same email again: the statement fails, the transaction is aborted.
        await uow
          .inTenant(TENANT_A_ID, ({ users }) =>
            users.insert(aUser({ id: '0b000000-0000-4000-8000-0000000000b3' })),
          )
          .catch(() => undefined);
        // Later joiners fail at once with the first failure instead of "transaction aborted".
        await expect(
          uow.inTenant(TENANT_A_ID, ({ users }) => users.list({ limit: 1, after: undefined })),
        ).rejects.toHaveProperty('code', 'USER_EMAIL_TAKEN');
        return 'the handler says ok';
      },
      () => {
        beforeCommitRan = true;
        return Promise.resolve();
      },
    );
    await expect(request).rejects.toHaveProperty('code', 'USER_EMAIL_TAKEN');
    expect(beforeCommitRan).toBe(false);
    expect(await userCount(uow, TENANT_A_ID)).toBe(0);
  });

  it('rolls back a failed domain check after partial writes in the same unit of work', async () => {
    const uow = await prepare();
    const request = new PgRequestTransactions(database.appKnex).run(
      TENANT_A_ID,
      async () => {
        await uow
          .inTenant(TENANT_A_ID, async ({ users }) => {
            await users.insert(aUser());
            throw new Error('refused after writing');
          })
          .catch(() => undefined);
        return 'ok';
      },
      () => Promise.resolve(),
    );
    await expect(request).rejects.toThrow('refused after writing');
    expect(await userCount(uow, TENANT_A_ID)).toBe(0);
  });
});

describe('audit events appended inside a request transaction', () => {
  const eventIn = (tenantId: string) => anAuditEvent({ tenantId, id: randomUUID() });

  it('lock no tenant chain while the request works, and commit with it', async () => {
    await prepare();
    const audit = new PgAuditLog(database.appKnex);
    let finishWork: () => void = () => undefined;
    const working = new Promise<void>((resolve) => {
      finishWork = resolve;
    });
    let appended: () => void = () => undefined;
    const appendedInRequest = new Promise<void>((resolve) => {
      appended = resolve;
    });
    const request = new PgRequestTransactions(database.appKnex).run(
      TENANT_A_ID,
      async () => {
        await audit.append([eventIn(TENANT_A_ID), eventIn(TENANT_B_ID)]);
        appended();
        await working;
      },
      () => Promise.resolve(),
    );
    await appendedInRequest;
    // Another writer of both chains is not kept waiting by the request still at work.
    await audit.append([eventIn(TENANT_B_ID), eventIn(TENANT_A_ID)]);
    finishWork();
    await request;
    for (const tenantId of [TENANT_A_ID, TENANT_B_ID]) {
      expect((await audit.list(tenantId, 10)).length).toBe(2);
      expect((await audit.chainState(tenantId)).head.sequence).toBe(2);
    }
  });

  it('keep a failed or denied attempt even when the request then fails', async () => {
    await prepare();
    const audit = new PgAuditLog(database.appKnex);
    await expect(
      new PgRequestTransactions(database.appKnex).run(
        TENANT_A_ID,
        async () => {
          await audit.append([
            anAuditEvent({ id: randomUUID(), action: 'auth.password.failed', outcome: 'failure' }),
          ]);
          throw new Error('wrong password');
        },
        () => Promise.resolve(),
      ),
    ).rejects.toThrow('wrong password');
    expect((await audit.list(TENANT_A_ID, 10)).map((event) => event.action)).toEqual([
      'auth.password.failed',
    ]);
  });

  it("switch tenants only for other tenants' events, and leave the request's tenant set", async () => {
    const uow = await prepare();
    const audit = new PgAuditLog(database.appKnex);
    const statements: string[] = [];
    const onQuery = (query: { sql: string }): void => {
      statements.push(query.sql);
    };
    const tenantSwitches = (): number =>
      statements.filter((sql) => sql.includes('set_config')).length;
    database.appKnex.on('query', onQuery);
    try {
      await new PgRequestTransactions(database.appKnex).run(
        TENANT_A_ID,
        async () => {
          await uow.inTenant(TENANT_A_ID, ({ users }) => users.insert(aUser()));
          await audit.append([eventIn(TENANT_A_ID), eventIn(TENANT_A_ID)]);
        },
        () => Promise.resolve(),
      );
      // The request's own tenant, set with its BEGIN (no statement of its own): its events
      // need no switch.
      expect(tenantSwitches()).toBe(0);

      statements.length = 0;
      let seenAtCommit: number | undefined;
      // Awaiting the run itself (not only the callback) so the listing below sees the commit.
      await new PgRequestTransactions(database.appKnex).run(
        TENANT_A_ID,
        () => audit.append([eventIn(TENANT_B_ID), eventIn(TENANT_A_ID)]),
        // After the events are written: still in A (B has no users, A has one).
        async () => {
          seenAtCommit = await userCount(uow, TENANT_A_ID);
        },
      );
      expect(seenAtCommit).toBe(1);
      // Opened in A; to B for its event, back to A for A's (the one switch back).
      expect(tenantSwitches()).toBe(2);
    } finally {
      database.appKnex.off('query', onQuery);
    }
    expect((await audit.list(TENANT_A_ID, 10)).length).toBe(3);
    expect((await audit.list(TENANT_B_ID, 10)).length).toBe(1);
  });

  it('are dropped when the request fails', async () => {
    await prepare();
    const audit = new PgAuditLog(database.appKnex);
    await expect(
      new PgRequestTransactions(database.appKnex).run(
        TENANT_A_ID,
        async () => {
          await audit.append([eventIn(TENANT_A_ID)]);
          throw new Error('the request failed');
        },
        () => Promise.resolve(),
      ),
    ).rejects.toThrow('the request failed');
    expect(await audit.list(TENANT_A_ID, 10)).toEqual([]);
  });
});

describe('request transactions and the connection pool', () => {
  it('never leave a request waiting for a second connection while all hold their first', async () => {
    await prepare();
    const pool = createKnex(database.appUrl, { poolMax: 4 });
    try {
      const audit = new PgAuditLog(pool);
      const transactions = new PgRequestTransactions(pool);
      const requests = Array.from({ length: 8 }, () =>
        transactions.run(
          TENANT_A_ID,
          async () => {
            // A failed attempt's audit event, and a read outside the request (as a cache
            // miss does): both need a connection besides the request's own.
            await audit.append([
              anAuditEvent({
                id: randomUUID(),
                action: 'auth.password.failed',
                outcome: 'failure',
              }),
            ]);
            await pool.raw('select 1');
          },
          () => Promise.resolve(),
        ),
      );
      await Promise.all(requests);
      expect((await audit.list(TENANT_A_ID, 20)).length).toBe(8);
    } finally {
      await pool.destroy();
    }
  });
});

describe('whether a request transaction would open at once (idle)', () => {
  it('needs a free connection nobody waits for, and leaves the last free slot alone', async () => {
    await prepare();
    // 4 connections: 2 request slots.
    const pool = createKnex(database.appUrl, { poolMax: 4 });
    try {
      const transactions = new PgRequestTransactions(pool);
      const busy = (count: number, seconds: number) =>
        Promise.all(Array.from({ length: count }, () => pool.raw('select pg_sleep(?)', [seconds])));
      await busy(4, 0.01); // all four connections made, and free again
      expect(transactions.idle()).toBe(true);

      // One request holds a slot (and a connection): three connections are free, one slot.
      const release = deferred();
      const inside = deferred();
      const running = transactions.run(
        TENANT_A_ID,
        async () => {
          inside.resolve();
          await release.promise;
        },
        () => Promise.resolve(),
      );
      await inside.promise;
      try {
        expect(transactions.idle()).toBe(false);
      } finally {
        release.resolve();
        await running;
      }
      expect(transactions.idle()).toBe(true);

      // Every connection busy, and one more query waiting for one.
      const sleeping = busy(5, 1);
      await eventually(900, () => {
        expect(transactions.idle()).toBe(false);
        return Promise.resolve();
      });
      await sleeping;
      expect(transactions.idle()).toBe(true);
    } finally {
      await pool.destroy();
    }
  });
});

describe('work left behind by a finished request', () => {
  it('opens its own transaction instead of joining the committed one', async () => {
    const uow = await prepare();
    const transactions = new PgRequestTransactions(database.appKnex);
    let leftover: Promise<void> | undefined;
    await transactions.run(
      TENANT_A_ID,
      () => {
        // Started inside the request, runs after its commit (e.g. a batching timer).
        leftover = new Promise<void>((resolve, reject) => {
          setTimeout(() => {
            uow.inTenant(TENANT_A_ID, ({ users }) => users.insert(aUser())).then(resolve, reject);
          }, 50);
        });
        return Promise.resolve();
      },
      () => Promise.resolve(),
    );
    // Another request is still working when the leftover runs.
    await transactions.run(
      TENANT_B_ID,
      () => leftover ?? Promise.resolve(),
      () => Promise.resolve(),
    );
    expect(await userCount(uow, TENANT_A_ID)).toBe(1);
  });
});
