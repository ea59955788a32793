import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createKnex } from '../../src/adapters/outbound/postgres/knex.factory.js';
import { PgUnitOfWork } from '../../src/adapters/outbound/postgres/pg-unit-of-work.js';
import {
  setTenant,
  tenantTransaction,
} from '../../src/adapters/outbound/postgres/tenant-transactions.js';
import { PLATFORM_TENANT_ID } from '../../src/domain/shared/platform-tenant.js';
import { aTenant, anotherTenant, TENANT_A_ID, TENANT_B_ID } from '../mothers/tenant.mother.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

// A tenant transaction sets the tenant, and makes its opening read, in the message of its
// BEGIN. On one pooled connection, so that what a transaction leaves behind would show in the
// next one.

let database: TestDatabase;
let single: Knex;

const setting = async (db: Knex | Knex.Transaction): Promise<string | null> => {
  const { rows } = await db.raw<{ rows: { tenant: string | null }[] }>(
    `select nullif(current_setting('app.tenant_id', true), '') as tenant`,
  );
  return rows[0]?.tenant ?? null;
};

/** Outside a transaction block, every statement is its own transaction: its start is now. */
const outsideAnyTransaction = async (db: Knex): Promise<boolean> => {
  const { rows } = await db.raw<{ rows: { outside: boolean }[] }>(
    `select now() = statement_timestamp() as outside`,
  );
  return rows[0]?.outside === true;
};

const marker = (tenantId: string, key: string): string =>
  `insert into core.idempotency_keys (tenant_id, principal_id, operation, idempotency_key,
     fingerprint, state, expires_at) values ('${tenantId}', 'p', '/test/Marker', '${key}', 'f',
     'completed', now() + interval '1 hour')`;

/** The server process of the one pooled connection: another one means it was thrown away. */
const backend = async (): Promise<number | undefined> => {
  const { rows } = await single.raw<{ rows: { pid: number }[] }>('select pg_backend_pid() as pid');
  return rows[0]?.pid;
};

const markersOf = `select idempotency_key, current_setting('app.tenant_id', true) as tenant
  from core.idempotency_keys where operation = '/test/Marker' order by idempotency_key`;

/** The markers tenant A sees, read in a tenant transaction of their own. */
const markerKeysOfA = async (): Promise<string[]> => {
  const { rows } = await tenantTransaction(single, TENANT_A_ID, (trx) =>
    trx.raw<{ rows: { idempotency_key: string }[] }>(markersOf),
  );
  return rows.map((row) => row.idempotency_key);
};

/** A transaction whose opening read's rows cannot be taken: `take` throws `refused`. */
const openingNotTaken = (refused: Error): Promise<void> =>
  tenantTransaction(single, TENANT_A_ID, () => Promise.resolve(), {
    sql: markersOf,
    take: () => {
      throw refused;
    },
  });

beforeAll(async () => {
  database = await createTestDatabase();
  single = createKnex(database.appUrl, { poolMax: 1 });
  await new PgUnitOfWork(database.appKnex).inTenant(PLATFORM_TENANT_ID, async ({ tenants }) => {
    await tenants.insert(aTenant());
    await tenants.insert(anotherTenant());
  });
  await tenantTransaction(single, TENANT_A_ID, (trx) => trx.raw(marker(TENANT_A_ID, 'a-row')));
  await tenantTransaction(single, TENANT_B_ID, (trx) => trx.raw(marker(TENANT_B_ID, 'b-row')));
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
    // Through knex: the work's one statement only; the setting went with the BEGIN, and the
    // COMMIT went straight to the client (to read its answer).
    expect(sent).toEqual([expect.stringContaining('current_setting')]);
    // Transaction-local: the pooled connection keeps no tenant.
    expect(await setting(single)).toBeNull();
    expect(await outsideAnyTransaction(single)).toBe(true);
  });

  it('makes its opening read with the BEGIN, under its tenant, before the work starts', async () => {
    let taken: readonly unknown[] | undefined;
    const seenByWork = await tenantTransaction(single, TENANT_A_ID, () => Promise.resolve(taken), {
      sql: markersOf,
      take: (rows) => {
        taken = rows;
      },
    });
    // Row-level security: tenant B's row is not among them.
    expect(seenByWork).toEqual([{ idempotency_key: 'a-row', tenant: TENANT_A_ID }]);
  });

  it('keeps a `?` in an opening read as it is (no placeholders in that message)', async () => {
    let taken: readonly unknown[] = [];
    await tenantTransaction(single, TENANT_A_ID, () => Promise.resolve(), {
      sql: `select 'it''s ? $1' as text`,
      take: (rows) => {
        taken = rows;
      },
    });
    expect(taken).toEqual([{ text: "it's ? $1" }]);
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
        { sql: 'select 1/0', take: () => undefined },
      ),
    ).rejects.toMatchObject({ code: '22012' });
    expect(workRan).toBe(false);
    expect(await outsideAnyTransaction(single)).toBe(true);
    expect(await setting(single)).toBeNull();
  });

  it('rolls back when taking the opening read fails, and hands back a clean connection', async () => {
    const refused = new Error('could not make sense of the rows');
    await expect(openingNotTaken(refused)).rejects.toBe(refused);
    expect(await outsideAnyTransaction(single)).toBe(true);
    expect(await setting(single)).toBeNull();
    // Nothing of tenant A is visible to a statement with no tenant set.
    const { rows } = await single.raw<{ rows: unknown[] }>(markersOf);
    expect(rows).toEqual([]);
  });

  it('throws away a connection that cannot even roll back', async () => {
    const before = await backend();
    const query = Reflect.get(pg.Client.prototype, 'query') as (...args: unknown[]) => unknown;
    function refuseRollback(this: pg.Client, ...args: unknown[]): unknown {
      if (args[0] === 'ROLLBACK') return Promise.reject(new Error('the connection is gone'));
      return query.apply(this, args);
    }
    const refusing = vi.spyOn(pg.Client.prototype, 'query').mockImplementation(refuseRollback);
    const refused = new Error('could not make sense of the rows');
    try {
      await expect(openingNotTaken(refused)).rejects.toBe(refused);
    } finally {
      refusing.mockRestore();
    }
    // Closed at once: its server process (which had the transaction open) is gone before the
    // pool is asked for a connection again.
    const gone = async (): Promise<boolean> => {
      const { rows } = await database.ownerKnex.raw<{ rows: unknown[] }>(
        'select 1 from pg_stat_activity where pid = ?',
        [before ?? -1],
      );
      return rows.length === 0;
    };
    await vi.waitFor(async () => {
      expect(await gone()).toBe(true);
    });
    // The pool lent a new connection: outside any transaction, no tenant set.
    expect(await backend()).not.toBe(before);
    expect(await outsideAnyTransaction(single)).toBe(true);
    expect(await setting(single)).toBeNull();
  });

  it('sends the writes given to sendWithCommit with its COMMIT, with their values as parameters', async () => {
    const sent: string[] = [];
    const record = (query: { sql: string }) => sent.push(query.sql);
    single.on('query', record);
    try {
      await tenantTransaction(single, TENANT_A_ID, async (trx, sendWithCommit) => {
        await trx.raw(marker(TENANT_A_ID, 'with-commit-work'));
        sendWithCommit({
          text: `insert into core.idempotency_keys (tenant_id, principal_id, operation,
                   idempotency_key, fingerprint, state, expires_at)
                 values ($1, 'p', '/test/Marker', $2, 'f', 'completed', now() + interval '1 hour')`,
          values: [TENANT_A_ID, `with-commit 'it''s' ? $1`],
        });
      });
    } finally {
      single.off('query', record);
    }
    // knex sent the work's statement only: the write and the COMMIT went straight to the client.
    expect(sent).toEqual([expect.stringContaining('with-commit-work')]);
    expect(await markerKeysOfA()).toEqual([
      'a-row',
      `with-commit 'it''s' ? $1`,
      'with-commit-work',
    ]);
    expect(await outsideAnyTransaction(single)).toBe(true);
    expect(await setting(single)).toBeNull();
  });

  it('rolls the whole transaction back when a write sent with its COMMIT fails, failing as told', async () => {
    const told = new Error('the record was refused');
    const failure = vi.fn(() => told);
    await expect(
      tenantTransaction(single, TENANT_A_ID, async (trx, sendWithCommit) => {
        await trx.raw(marker(TENANT_A_ID, 'rolled-back-work'));
        sendWithCommit({ text: 'select 1', values: [] });
        sendWithCommit({ text: 'select 1 / $1::int', values: [0], failure });
        sendWithCommit({ text: 'select 2', values: [] });
      }),
    ).rejects.toBe(told);
    expect(failure).toHaveBeenCalledWith(expect.objectContaining({ code: '22012' }));
    expect(await outsideAnyTransaction(single)).toBe(true);
    expect(await setting(single)).toBeNull();
    // The one connection is usable, and nothing of the failed transaction was kept.
    expect(await markerKeysOfA()).not.toContain('rolled-back-work');
  });

  it('rolls back, failing with the error of its COMMIT, when a carried write breaks a deferred constraint', async () => {
    const failure = vi.fn((error: unknown) => error);
    await expect(
      tenantTransaction(single, TENANT_A_ID, async (trx, sendWithCommit) => {
        await trx.raw(marker(TENANT_A_ID, 'deferred-work'));
        await trx.raw(
          'create temp table deferred_once (id int unique deferrable initially deferred) on commit drop',
        );
        // Accepted as a statement; the duplicate is found only when the COMMIT checks.
        sendWithCommit({
          text: 'insert into deferred_once values ($1), ($1)',
          values: [1],
          failure,
        });
      }),
    ).rejects.toMatchObject({ code: '23505' });
    expect(failure).not.toHaveBeenCalled();
    expect(await outsideAnyTransaction(single)).toBe(true);
    expect(await setting(single)).toBeNull();
    expect(await markerKeysOfA()).not.toContain('deferred-work');
  });

  it('does not commit a transaction that failed before its COMMIT, and takes no write once it is sent', async () => {
    let late: ((statement: { text: string; values: unknown[] }) => void) | undefined;
    await expect(
      tenantTransaction(single, TENANT_A_ID, async (trx, sendWithCommit) => {
        await trx.raw(marker(TENANT_A_ID, 'swallowed-failure'));
        await trx.raw('select 1/0').catch(() => undefined);
        sendWithCommit({ text: 'select 1', values: [] });
        late = sendWithCommit;
      }),
    ).rejects.toMatchObject({ code: '25P02' });
    expect(() => late?.({ text: 'select 1', values: [] })).toThrow(/COMMIT has been sent/);
    expect(await outsideAnyTransaction(single)).toBe(true);
    expect(await markerKeysOfA()).not.toContain('swallowed-failure');
  });

  it('rolls back, sending nothing, when a value given for its COMMIT cannot be converted', async () => {
    const backendBefore = await backend();
    const unconvertible = {
      toPostgres: () => {
        throw new Error('not a Postgres value');
      },
    };
    await expect(
      tenantTransaction(single, TENANT_A_ID, async (trx, sendWithCommit) => {
        await trx.raw(marker(TENANT_A_ID, 'unconvertible-work'));
        sendWithCommit({ text: 'select $1::text', values: [unconvertible] });
      }),
    ).rejects.toThrow('not a Postgres value');
    // Rolled back on the same connection, which is clean and back in pipeline-free use.
    expect(await backend()).toBe(backendBefore);
    expect(await outsideAnyTransaction(single)).toBe(true);
    expect(await setting(single)).toBeNull();
    expect(await markerKeysOfA()).not.toContain('unconvertible-work');
  });

  it('drops what was given for its COMMIT when the work rolls back, and sends it once when the work commits', async () => {
    // Each time it runs, the carried statement appends an x to a session setting: one that
    // ran outside its transaction, or twice, would show there.
    const carried = {
      text: `select set_config('wemaster_test.carried',
               coalesce(current_setting('wemaster_test.carried', true), '') || $1, false)`,
      values: ['x'],
    };
    const carriedSoFar = async (): Promise<string> => {
      const { rows } = await single.raw<{ rows: { carried: string | null }[] }>(
        `select current_setting('wemaster_test.carried', true) as carried`,
      );
      return rows[0]?.carried ?? '';
    };
    const changedMind = new Error('changed my mind');
    await expect(
      tenantTransaction(single, TENANT_A_ID, async (trx, sendWithCommit) => {
        sendWithCommit(carried);
        await trx.rollback(changedMind);
      }),
    ).rejects.toBe(changedMind);
    expect(await carriedSoFar()).toBe('');
    // The work commits by itself, then returns: knex asks for a COMMIT once more.
    await tenantTransaction(single, TENANT_A_ID, async (trx, sendWithCommit) => {
      sendWithCommit(carried);
      await trx.commit();
    });
    expect(await carriedSoFar()).toBe('x');
    expect(await outsideAnyTransaction(single)).toBe(true);
    expect(await setting(single)).toBeNull();
  });

  it('does not report a commit for a transaction Postgres rolled back at its COMMIT', async () => {
    await expect(
      tenantTransaction(single, TENANT_A_ID, async (trx) => {
        await trx.raw(marker(TENANT_A_ID, 'swallowed-without-carried'));
        await trx.raw('select 1/0').catch(() => undefined);
      }),
    ).rejects.toThrow(/rolled back/);
    expect(await outsideAnyTransaction(single)).toBe(true);
    expect(await markerKeysOfA()).not.toContain('swallowed-without-carried');
  });

  it('fails, commits nothing and lends a new connection when the server process dies before its COMMIT', async () => {
    const before = await backend();
    await expect(
      tenantTransaction(single, TENANT_A_ID, async (trx, sendWithCommit) => {
        await trx.raw(marker(TENANT_A_ID, 'died-before-commit'));
        sendWithCommit({ text: 'select $1::text', values: ['carried'] });
        await database.ownerKnex.raw('select pg_terminate_backend(?)', [before ?? -1]);
      }),
    ).rejects.toThrow();
    expect(await backend()).not.toBe(before);
    expect(await outsideAnyTransaction(single)).toBe(true);
    expect(await markerKeysOfA()).not.toContain('died-before-commit');
  });

  it('refuses a tenant that is not a UUID, a transaction, and a knex instance not made by createKnex', async () => {
    expect(() =>
      tenantTransaction(single, "x'; drop table core.tenants; --", () => Promise.resolve()),
    ).toThrow(/UUID/);
    await tenantTransaction(single, TENANT_A_ID, (trx) => {
      expect(() => tenantTransaction(trx, TENANT_B_ID, () => Promise.resolve())).toThrow(
        /createKnex/,
      );
      return Promise.resolve();
    });
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

describe('a transaction of a knex instance from createKnex, opened without a tenant', () => {
  it('does not report a commit when Postgres rolled it back at its COMMIT', async () => {
    await expect(
      single.transaction(async (trx) => {
        await setTenant(trx, TENANT_A_ID);
        await trx.raw(marker(TENANT_A_ID, 'plain-swallowed'));
        await trx.raw('select 1/0').catch(() => undefined);
      }),
    ).rejects.toThrow(/rolled back/);
    expect(await outsideAnyTransaction(single)).toBe(true);
    expect(await markerKeysOfA()).not.toContain('plain-swallowed');
  });

  it('commits after a savepoint that failed was rolled back to, as knex releases savepoints', async () => {
    await single.transaction(async (trx) => {
      await setTenant(trx, TENANT_A_ID);
      await trx.raw(marker(TENANT_A_ID, 'plain-outer'));
      await expect(
        trx.transaction(async (savepoint) => {
          await savepoint.raw(marker(TENANT_A_ID, 'plain-inner-failed'));
          await savepoint.raw('select 1/0');
        }),
      ).rejects.toThrow(/division by zero/);
      await trx.transaction((savepoint) => savepoint.raw(marker(TENANT_A_ID, 'plain-inner')));
    });
    expect(await outsideAnyTransaction(single)).toBe(true);
    expect(await markerKeysOfA()).toEqual(expect.arrayContaining(['plain-outer', 'plain-inner']));
    expect(await markerKeysOfA()).not.toContain('plain-inner-failed');
  });
});

describe("knex's own messages, given a logger", () => {
  it('are JSON records of the knex component, and name why a connection was thrown away', async () => {
    const records: { level: number; component?: string; msg: string }[] = [];
    const logger = pino(
      { level: 'debug' },
      {
        write: (line: string) => {
          records.push(JSON.parse(line) as (typeof records)[number]);
        },
      },
    );
    const logged = createKnex(database.appUrl, { poolMax: 1, logger });
    try {
      const { rows } = await logged.raw<{ rows: { pid: number }[] }>(
        'select pg_backend_pid() as pid',
      );
      const before = rows[0]?.pid ?? -1;
      const query = Reflect.get(pg.Client.prototype, 'query') as (...args: unknown[]) => unknown;
      const refusing = vi.spyOn(pg.Client.prototype, 'query').mockImplementation(function (
        this: pg.Client,
        ...args: unknown[]
      ): unknown {
        if (args[0] === 'ROLLBACK') return Promise.reject(new Error('secret-ish detail'));
        return query.apply(this, args);
      });
      try {
        await expect(
          // Its opening read's rows are refused: the transaction must roll back, and cannot.
          tenantTransaction(logged, TENANT_A_ID, () => Promise.resolve(), {
            sql: 'select 1',
            take: () => {
              throw new Error('refused');
            },
          }),
        ).rejects.toThrow();
      } finally {
        refusing.mockRestore();
      }
      // Closed, and ended on the client's side too, before the pool is asked again: the reason
      // outlives knex's own "ended unexpectedly".
      await vi.waitFor(async () => {
        const { rows: left } = await database.ownerKnex.raw<{ rows: unknown[] }>(
          'select 1 from pg_stat_activity where pid = ?',
          [before],
        );
        expect(left).toEqual([]);
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      await vi.waitFor(async () => {
        await logged.raw('select 1');
        const warned = records.filter((r) => r.level === 40 && r.component === 'knex');
        expect(warned.map((r) => r.msg)).toContain(
          'Connection Error: discarded: its transaction could not be rolled back',
        );
      });
      expect(JSON.stringify(records)).not.toContain('secret-ish detail');
    } finally {
      await logged.destroy();
    }
  });
});
