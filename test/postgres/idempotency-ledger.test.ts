import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SystemClock } from '../../src/adapters/outbound/crypto/system-clock.js';
import { createKnex } from '../../src/adapters/outbound/postgres/knex.factory.js';
import { PgIdempotencyLedger } from '../../src/adapters/outbound/postgres/pg-idempotency.ledger.js';
import { PgRequestTransactions } from '../../src/adapters/outbound/postgres/pg-request-transactions.js';
import { PgUnitOfWork } from '../../src/adapters/outbound/postgres/pg-unit-of-work.js';
import type { StoredOutcome } from '../../src/domain/idempotency/idempotency-record.js';
import { PLATFORM_TENANT_ID } from '../../src/domain/shared/platform-tenant.js';
import { aTenant, anotherTenant, TENANT_A_ID, TENANT_B_ID } from '../mothers/tenant.mother.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

// The ledger's lookup outside a request transaction is one statement
// (core.idempotency_completion): it reads the asked tenant's completions only, under row-level
// security, and leaves no tenant setting behind.

let database: TestDatabase;
let ledger: PgIdempotencyLedger;

const scopeOf = (tenantId: string) => ({
  tenantId,
  principalId: '01a00000-0000-7000-8000-0000000000ad',
  operation: '/wemaster.core.v1.TenancyService/UpdateTenant',
});
const outcome: StoredOutcome = {
  code: 0,
  body: new Uint8Array([8, 1]),
  message: '',
  details: undefined,
  truncated: false,
};

async function complete(tenantId: string, key: string, retentionMs = 60_000): Promise<void> {
  await new PgRequestTransactions(database.appKnex).run(
    tenantId,
    () => Promise.resolve(),
    () =>
      ledger.recordWithinRequest({
        scope: scopeOf(tenantId),
        key,
        fingerprint: `fp-${tenantId}`,
        leaseToken: 'lease',
        outcome,
        retentionMs,
      }),
  );
}

beforeAll(async () => {
  database = await createTestDatabase();
  ledger = new PgIdempotencyLedger(database.appKnex, new SystemClock(), 64 * 1024);
  await new PgUnitOfWork(database.appKnex).inTenant(PLATFORM_TENANT_ID, async ({ tenants }) => {
    await tenants.insert(aTenant());
    await tenants.insert(anotherTenant());
  });
});

afterAll(async () => {
  await database.drop();
});

describe('PgIdempotencyLedger lookups outside a request transaction', () => {
  it("finds the asked tenant's live completion, and only that tenant's", async () => {
    await complete(TENANT_A_ID, 'key-a');
    const found = await ledger.find(scopeOf(TENANT_A_ID), 'key-a');
    expect(found?.fingerprint).toBe(`fp-${TENANT_A_ID}`);
    expect({ ...found?.outcome, body: [...(found?.outcome.body ?? [])] }).toEqual({
      ...outcome,
      body: [8, 1],
    });
    // The same principal, operation and key under another tenant: not there.
    expect(await ledger.find(scopeOf(TENANT_B_ID), 'key-a')).toBeUndefined();
    // Expired completions are not answers.
    await complete(TENANT_A_ID, 'key-short', 1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await ledger.find(scopeOf(TENANT_A_ID), 'key-short')).toBeUndefined();
  });

  it('reads under row-level security, and leaves the caller transaction its own tenant', async () => {
    await complete(TENANT_B_ID, 'key-b');
    await database.appKnex.transaction(async (trx) => {
      await trx.raw(`select set_config('app.tenant_id', ?, true)`, [TENANT_A_ID]);
      const { rows } = await trx.raw<{ rows: { fingerprint: string }[] }>(
        'select * from core.idempotency_completion(?, ?, ?, ?, now())',
        [TENANT_B_ID, scopeOf(TENANT_B_ID).principalId, scopeOf(TENANT_B_ID).operation, 'key-b'],
      );
      expect(rows.map((row) => row.fingerprint)).toEqual([`fp-${TENANT_B_ID}`]);
      const { rows: setting } = await trx.raw<{ rows: { tenant: string }[] }>(
        `select current_setting('app.tenant_id') as tenant`,
      );
      expect(setting[0]?.tenant).toBe(TENANT_A_ID);
      // And the caller's own reads are still confined to its tenant: B's row is not there.
      const [visible] = await trx('core.idempotency_keys')
        .where({ idempotency_key: 'key-b' })
        .count<{ count: string }[]>('* as count');
      expect(Number(visible?.count)).toBe(0);
    });
  });

  it('is a SECURITY INVOKER function (row-level security applies) that only the app may run', async () => {
    const { rows } = await database.ownerKnex.raw<{
      rows: { definer: boolean; volatility: string; config: string[] | null; pub: boolean }[];
    }>(
      `select p.prosecdef as definer, p.provolatile as volatility, p.proconfig as config,
              has_function_privilege('public', p.oid, 'execute') as pub
         from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = 'core' and p.proname = 'idempotency_completion'`,
    );
    expect(rows).toEqual([
      {
        definer: false,
        volatility: 'v',
        config: ['search_path=pg_catalog, pg_temp'],
        pub: false,
      },
    ]);
  });
});

describe('PgIdempotencyLedger records, and reads as a request transaction opens', () => {
  it('reads at the opening, and records, through SECURITY INVOKER functions only the app may run', async () => {
    const { rows } = await database.ownerKnex.raw<{
      rows: { name: string; definer: boolean; pub: boolean; app: boolean }[];
    }>(
      `select p.proname as name, p.prosecdef as definer,
              has_function_privilege('public', p.oid, 'execute') as pub,
              has_function_privilege('wemaster_core_app', p.oid, 'execute') as app
         from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = 'core'
          and p.proname in ('idempotency_completion_in_transaction',
                            'idempotency_record_completion')
        order by p.proname`,
    );
    expect(rows).toEqual([
      { name: 'idempotency_completion_in_transaction', definer: false, pub: false, app: true },
      { name: 'idempotency_record_completion', definer: false, pub: false, app: true },
    ]);
  });

  it('keeps every byte and character of a record, whatever the caller chose', async () => {
    const odd = {
      tenantId: TENANT_A_ID,
      principalId: `o'brien \\ "quoted" ?`,
      operation: '/svc/Odd?$1',
    };
    // Printable ASCII, as keys are (a backslash, not a NUL byte: text cannot hold one).
    const key = `it's a \\x00 ? $1 ';-- key`;
    const stored: StoredOutcome = {
      code: 5,
      body: new Uint8Array(Array.from({ length: 256 }, (_, i) => i)),
      message: `ünïcode ' \\ ? $2 \n line`,
      details: new Uint8Array([0, 39, 92, 63]),
      truncated: true,
    };
    await new PgRequestTransactions(database.appKnex).run(
      TENANT_A_ID,
      () => Promise.resolve(),
      () =>
        ledger.recordWithinRequest({
          scope: odd,
          key,
          fingerprint: `fp'?`,
          leaseToken: `lease'?`,
          outcome: stored,
          retentionMs: 60_000,
        }),
    );
    const found = await ledger.find(odd, key);
    expect(found?.fingerprint).toBe(`fp'?`);
    expect({
      ...found?.outcome,
      body: [...(found?.outcome.body ?? [])],
      details: [...(found?.outcome.details ?? [])],
    }).toEqual({ ...stored, body: [...stored.body!], details: [0, 39, 92, 63] });
    // Read as a request transaction opens: the same record, in the BEGIN's round trip.
    const transactions = new PgRequestTransactions(database.appKnex);
    const opened = await transactions.run(
      TENANT_A_ID,
      (kept) => Promise.resolve(kept),
      () => Promise.resolve(),
      ledger.completionAtOpening(odd, key),
    );
    expect(opened).toEqual(found);
    // Another tenant's transaction does not see it, even asked for it by name.
    const elsewhere = await transactions.run(
      TENANT_B_ID,
      (kept) => Promise.resolve(kept),
      () => Promise.resolve(),
      ledger.completionAtOpening(odd, key),
    );
    expect(elsewhere).toBeUndefined();
  });

  it("refuses a key another caller completed: LEASE_LOST, and the request's writes roll back with it", async () => {
    await complete(TENANT_A_ID, 'key-taken');
    const single = createKnex(database.appUrl, { poolMax: 1 });
    try {
      const own = new PgIdempotencyLedger(single, new SystemClock(), 64 * 1024);
      const record = (key: string) =>
        own.recordWithinRequest({
          scope: scopeOf(TENANT_A_ID),
          key,
          fingerprint: 'fp-second',
          leaseToken: 'another-lease',
          outcome,
          retentionMs: 60_000,
        });
      const second = new PgRequestTransactions(single).run(
        TENANT_A_ID,
        // The request's own write, in its transaction.
        () => record('key-side-effect'),
        () => record('key-taken'),
      );
      await expect(second).rejects.toMatchObject({
        code: 'IDEMPOTENCY_LEASE_LOST',
        category: 'aborted',
      });
      expect(await own.find(scopeOf(TENANT_A_ID), 'key-side-effect')).toBeUndefined();
      expect((await own.find(scopeOf(TENANT_A_ID), 'key-taken'))?.fingerprint).toBe(
        `fp-${TENANT_A_ID}`,
      );
      // The one connection went back clean: the next request on it commits.
      await new PgRequestTransactions(single).run(
        TENANT_A_ID,
        () => Promise.resolve(),
        () => record('key-next'),
      );
      expect((await own.find(scopeOf(TENANT_A_ID), 'key-next'))?.fingerprint).toBe('fp-second');
    } finally {
      await single.destroy();
    }
  });
});
