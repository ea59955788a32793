import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SystemClock } from '../../src/adapters/outbound/crypto/system-clock.js';
import { InMemoryIdempotencyStore } from '../../src/adapters/outbound/memory/in-memory-idempotency.store.js';
import { PgIdempotencyLedger } from '../../src/adapters/outbound/postgres/pg-idempotency.ledger.js';
import { PgRequestTransactions } from '../../src/adapters/outbound/postgres/pg-request-transactions.js';
import { PgUnitOfWork } from '../../src/adapters/outbound/postgres/pg-unit-of-work.js';
import {
  IdempotentRunner,
  type IdempotentCall,
} from '../../src/application/idempotency/idempotent-runner.js';
import type {
  BeginOutcome,
  IdempotencyEvents,
} from '../../src/domain/idempotency/idempotency-events.port.js';
import type { StoredOutcome } from '../../src/domain/idempotency/idempotency-record.js';
import { PLATFORM_TENANT_ID } from '../../src/domain/shared/platform-tenant.js';
import { aTenant, TENANT_A_ID } from '../mothers/tenant.mother.js';
import { aUser } from '../mothers/user.mother.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { anOkOutcome } from '../mothers/stored-outcome.mother.js';

// The runner on real Postgres with a cache in front (an in-memory store standing in for
// Redis): the ledger read as the request transaction opens, the outcome row in that
// transaction, and a lost key that rolls the request back.

let database: TestDatabase;
let uow: PgUnitOfWork;

const SCOPE = {
  tenantId: TENANT_A_ID,
  principalId: '01a00000-0000-7000-8000-0000000000ad',
  operation: '/wemaster.core.v1.IdentityService/CreateUser',
};

const text = (outcome: StoredOutcome | undefined): string =>
  new TextDecoder().decode(outcome?.body);

const ok = anOkOutcome;

class RecordingEvents implements IdempotencyEvents {
  readonly begins: BeginOutcome[] = [];
  leasesLost = 0;
  begun(outcome: BeginOutcome): void {
    this.begins.push(outcome);
  }
  mismatches = 0;
  mismatch(): void {
    this.mismatches++;
  }
  leaseLost(): void {
    this.leasesLost++;
  }
  kept = 0;
  waits = 0;
  stored(): void {
    this.kept++;
  }
  waited(): void {
    this.waits++;
  }
}

function runnerWith(cache = new InMemoryIdempotencyStore(new SystemClock())) {
  const events = new RecordingEvents();
  const ledger = new PgIdempotencyLedger(database.appKnex, new SystemClock(), 64 * 1024);
  const runner = new IdempotentRunner(
    cache,
    ledger,
    new PgRequestTransactions(database.appKnex),
    events,
    new SystemClock(),
    { leaseMs: 30_000, pollMs: 5, storeIsCache: true },
  );
  return { runner, events, ledger, cache };
}

const users = (): Promise<number> =>
  uow.inTenant(
    TENANT_A_ID,
    async ({ users }) => (await users.list({ limit: 100, after: undefined })).items.length,
  );

const call = (key: string, execute: () => Promise<string>): IdempotentCall<string> => ({
  scope: SCOPE,
  key,
  fingerprint: 'fp',
  retentionMs: 60_000,
  waitForResult: false,
  signal: new AbortController().signal,
  execute,
  outcomeOf: ok,
  failureOutcomeOf: () => undefined,
});

beforeAll(async () => {
  database = await createTestDatabase();
  uow = new PgUnitOfWork(database.appKnex);
  await uow.inTenant(PLATFORM_TENANT_ID, ({ tenants }) => tenants.insert(aTenant()));
});

afterAll(async () => {
  await database.drop();
});

describe('IdempotentRunner on Postgres, with a cache in front', () => {
  it('commits the effect with its outcome, and replays from the ledger once the cache lost it', async () => {
    let executions = 0;
    const createUser = async () => {
      executions += 1;
      await uow.inTenant(TENANT_A_ID, ({ users }) =>
        users.insert(
          aUser({
            id: '0a000000-0000-4000-8000-00000000a001',
            email: 'one@a.test',
            emailNormalized: 'one@a.test',
          }),
        ),
      );
      return 'created';
    };
    const first = runnerWith();
    expect(await first.runner.run(call('key-1', createUser))).toEqual({
      executed: true,
      result: 'created',
    });
    expect(await users()).toBe(1);
    // Another replica whose cache never heard of the key: the ledger, read as the request
    // transaction opens, answers, and nothing runs again.
    const second = runnerWith();
    const replayed = await second.runner.run(call('key-1', createUser));
    expect(replayed.executed).toBe(false);
    expect(text(replayed.executed ? undefined : replayed.replay)).toBe('created');
    expect(executions).toBe(1);
    expect(second.events.begins).toEqual(['replayed']);
    expect(await users()).toBe(1);
  });

  it("rolls back a call whose key another caller completed meanwhile: LEASE_LOST, reported, the key's lease freed", async () => {
    const { runner, events, ledger, cache } = runnerWith();
    const before = await users();
    const overtaken = runner.run(
      call('key-2', async () => {
        await uow.inTenant(TENANT_A_ID, ({ users }) =>
          users.insert(
            aUser({
              id: '0a000000-0000-4000-8000-00000000a002',
              email: 'two@a.test',
              emailNormalized: 'two@a.test',
            }),
          ),
        );
        // Meanwhile another holder (its lease taken over from this one, say) commits the key.
        await new PgRequestTransactions(database.appKnex).run(
          TENANT_A_ID,
          () => Promise.resolve(),
          () =>
            ledger.recordWithinRequest({
              scope: SCOPE,
              key: 'key-2',
              fingerprint: 'fp',
              leaseToken: 'the-other-holder',
              outcome: ok('theirs'),
              retentionMs: 60_000,
            }),
        );
        return 'mine';
      }),
    );
    await expect(overtaken).rejects.toMatchObject({
      code: 'IDEMPOTENCY_LEASE_LOST',
      category: 'aborted',
    });
    expect(events.leasesLost).toBe(1);
    // This call's own write went with it.
    expect(await users()).toBe(before);
    // The cache's lease was freed: a retry claims anew, and the ledger answers with theirs.
    const begun = await cache.begin({ scope: SCOPE, key: 'key-2', fingerprint: 'fp', leaseMs: 1 });
    expect(begun.state).toBe('new');
    if (begun.state === 'new') await cache.release(SCOPE, 'key-2', begun.leaseToken);
    const retried = await runner.run(call('key-2', () => Promise.resolve('again')));
    expect(retried.executed).toBe(false);
    expect(text(retried.executed ? undefined : retried.replay)).toBe('theirs');
  });
});
