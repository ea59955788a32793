import { describe, expect, it } from 'vitest';
import { InMemoryIdempotencyLedger } from '../../../src/adapters/outbound/memory/in-memory-idempotency.ledger.js';
import { InMemoryIdempotencyStore } from '../../../src/adapters/outbound/memory/in-memory-idempotency.store.js';
import { InMemoryRequestTransactions } from '../../../src/adapters/outbound/memory/in-memory-request-transactions.js';
import { ReplayCachingIdempotencyStore } from '../../../src/adapters/outbound/memory/replay-caching-idempotency-store.js';
import {
  IdempotentRunner,
  type IdempotentCall,
} from '../../../src/application/idempotency/idempotent-runner.js';
import type {
  BeginOutcome,
  IdempotencyEvents,
} from '../../../src/domain/idempotency/idempotency-events.port.js';
import type { IdempotencyStore } from '../../../src/domain/idempotency/idempotency-store.port.js';
import { DomainError } from '../../../src/domain/shared/errors.js';
import type {
  OpeningRead,
  RequestTransactions,
} from '../../../src/domain/shared/request-transactions.port.js';
import { ManualClock } from '../../contract/idempotency-store.contract.js';
import { deferred } from '../../support/deferred.js';
import { eventually } from '../../support/eventually.js';
import { anOkOutcome } from '../../mothers/stored-outcome.mother.js';

const SCOPE = {
  tenantId: '0190a5e2-0000-7000-8000-000000000001',
  principalId: '0190a5e2-0000-7000-8000-000000000002',
  operation: '/svc/Do',
};

class RecordingEvents implements IdempotencyEvents {
  readonly begins: BeginOutcome[] = [];
  readonly storedBytes: number[] = [];
  mismatches = 0;
  leasesLost = 0;
  waits = 0;
  begun(outcome: BeginOutcome): void {
    this.begins.push(outcome);
  }
  mismatch(): void {
    this.mismatches++;
  }
  leaseLost(): void {
    this.leasesLost++;
  }
  stored(bytes: number): void {
    this.storedBytes.push(bytes);
  }
  waited(): void {
    this.waits++;
  }
}

const ok = anOkOutcome;

function fixture(
  options: {
    storeIsCache?: boolean;
    store?: IdempotencyStore;
    replayCache?: boolean;
    transactions?: RequestTransactions;
    earlyClaimWaitMs?: number;
    afterAnswer?: (work: () => void) => void;
  } = {},
) {
  const clock = new ManualClock();
  const shared = options.store ?? new InMemoryIdempotencyStore(clock);
  const store = options.replayCache ? new ReplayCachingIdempotencyStore(shared, clock) : shared;
  const ledger = new InMemoryIdempotencyLedger(clock, 1024);
  const events = new RecordingEvents();
  const runner = new IdempotentRunner(
    store,
    ledger,
    options.transactions ?? new InMemoryRequestTransactions(),
    events,
    clock,
    {
      leaseMs: 30_000,
      pollMs: 5,
      storeIsCache: options.storeIsCache ?? false,
      earlyClaimWaitMs: options.earlyClaimWaitMs,
      afterAnswer: options.afterAnswer,
    },
  );
  let executions = 0;
  const call = (over: Partial<IdempotentCall<string>> = {}): IdempotentCall<string> => ({
    scope: SCOPE,
    key: 'k-1',
    fingerprint: 'fp',
    retentionMs: 60_000,
    waitForResult: false,
    signal: new AbortController().signal,
    execute: () => {
      executions++;
      return Promise.resolve(`result-${executions}`);
    },
    outcomeOf: ok,
    failureOutcomeOf: (error) =>
      error instanceof DomainError && error.category === 'invalid_argument'
        ? { code: 3, body: undefined, message: error.message, details: undefined, truncated: false }
        : undefined,
    ...over,
  });
  return { runner, store, ledger, events, clock, call, executions: () => executions };
}

describe('IdempotentRunner', () => {
  it('executes once and replays the stored outcome', async () => {
    const { runner, call, executions, events } = fixture();
    expect(await runner.run(call())).toEqual({ executed: true, result: 'result-1' });
    const again = await runner.run(call());
    expect(again).toEqual({ executed: false, replay: ok('result-1') });
    expect(executions()).toBe(1);
    expect(events.begins).toEqual(['new', 'replayed']);
    expect(events.storedBytes).toEqual(['result-1'.length]);
    await expect(runner.run(call({ fingerprint: 'other' }))).rejects.toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
    });
    expect(events.mismatches).toBe(1);
  });

  it('fills the fast store only through afterAnswer, after the call has its result', async () => {
    const later: (() => void)[] = [];
    const { runner, call, executions } = fixture({
      storeIsCache: true,
      afterAnswer: (work) => later.push(work),
    });
    expect(await runner.run(call())).toEqual({ executed: true, result: 'result-1' });
    expect(later).toHaveLength(1);
    // Before the deferred write the cache still holds the lease: a retry is told to wait...
    await expect(runner.run(call())).rejects.toMatchObject({ code: 'IDEMPOTENCY_IN_PROGRESS' });
    // ...and once it ran, the retry is answered from the cache without executing.
    later[0]?.();
    await eventually(1_000, async () => {
      expect(await runner.run(call())).toEqual({ executed: false, replay: ok('result-1') });
    });
    expect(executions()).toBe(1);
  });

  describe('replayFromMemory', () => {
    const cached = () => fixture({ replayCache: true });

    it('answers nothing until the store holds the completed record in memory', async () => {
      const { runner, call, events } = cached();
      expect(runner.replayFromMemory(SCOPE, 'k-1', 'fp', false)).toBeUndefined();
      await runner.run(call());
      // The first retry learns the record from the shared store...
      expect(await runner.run(call())).toMatchObject({ executed: false });
      // ...and the next ones are answered without awaiting, counted as replays.
      expect(runner.replayFromMemory(SCOPE, 'k-1', 'fp', false)).toEqual(ok('result-1'));
      expect(events.begins).toEqual(['new', 'replayed', 'replayed']);
      expect(events.waits).toBe(0);
      runner.replayFromMemory(SCOPE, 'k-1', 'fp', true);
      expect(events.waits).toBe(1);
      expect(
        runner.replayFromMemory({ ...SCOPE, operation: '/svc/Other' }, 'k-1', 'fp', false),
      ).toBeUndefined();
    });

    it('refuses another request under a remembered key, counted and reported', async () => {
      const { runner, call, events, executions } = cached();
      await runner.run(call());
      await runner.run(call());
      expect(() => runner.replayFromMemory(SCOPE, 'k-1', 'other', false)).toThrow(
        expect.objectContaining({
          code: 'IDEMPOTENCY_KEY_REUSED',
          category: 'failed_precondition',
        }),
      );
      expect(events.begins.at(-1)).toBe('mismatch');
      expect(events.mismatches).toBe(1);
      expect(executions()).toBe(1);
    });

    it('answers nothing once the record expired, so run asks the store again', async () => {
      const { runner, call, clock, executions } = cached();
      await runner.run(call());
      await runner.run(call());
      clock.advance(60_001);
      expect(runner.replayFromMemory(SCOPE, 'k-1', 'fp', false)).toBeUndefined();
      expect(await runner.run(call())).toEqual({ executed: true, result: 'result-2' });
      expect(executions()).toBe(2);
    });

    it('answers nothing for a store without a memory of its own', async () => {
      const { runner, call } = fixture();
      await runner.run(call());
      await runner.run(call());
      expect(runner.replayFromMemory(SCOPE, 'k-1', 'fp', false)).toBeUndefined();
    });
  });

  it('frees the key after a transient failure, so a retry executes', async () => {
    const { runner, call, executions } = fixture();
    const unavailable = new DomainError('unavailable', 'DOWN', 'down');
    await expect(runner.run(call({ execute: () => Promise.reject(unavailable) }))).rejects.toBe(
      unavailable,
    );
    expect(await runner.run(call())).toMatchObject({ executed: true });
    expect(executions()).toBe(1);
  });

  it('keeps a deterministic failure and replays it without executing', async () => {
    const { runner, call, executions } = fixture();
    const invalid = new DomainError('invalid_argument', 'BAD', 'bad input');
    await expect(runner.run(call({ execute: () => Promise.reject(invalid) }))).rejects.toBe(
      invalid,
    );
    const replay = await runner.run(call());
    expect(replay).toMatchObject({ executed: false, replay: { code: 3, message: 'bad input' } });
    expect(executions()).toBe(0);
  });

  it('lets a waiting retry receive the first call result', async () => {
    const { runner, call } = fixture();
    let finish: (value: string) => void = () => undefined;
    const first = runner.run(
      call({ execute: () => new Promise<string>((resolve) => (finish = resolve)) }),
    );
    await new Promise((resolve) => setTimeout(resolve, 10));
    const waiting = runner.run(call({ waitForResult: true }));
    setTimeout(() => {
      finish('slow-result');
    }, 20);
    expect(await first).toEqual({ executed: true, result: 'slow-result' });
    expect(await waiting).toEqual({ executed: false, replay: ok('slow-result') });
  });

  it('a holder whose lease was taken over cannot commit: ABORTED, reported, not kept', async () => {
    const { runner, call, clock, events } = fixture();
    const stolen = runner.run(
      call({
        execute: async () => {
          clock.advance(31_000);
          // Another caller takes the lapsed lease over and completes first.
          await runner.run(call({ execute: () => Promise.resolve('taker') }));
          return 'late';
        },
      }),
    );
    await expect(stolen).rejects.toMatchObject({ code: 'IDEMPOTENCY_LEASE_LOST' });
    expect(events.leasesLost).toBe(1);
    expect(await runner.run(call())).toEqual({ executed: false, replay: ok('taker') });
  });

  it('fails closed with UNAVAILABLE when the store cannot be reached', async () => {
    const broken: IdempotencyStore = {
      begin: () => Promise.reject(new Error('ECONNREFUSED')),
      complete: () => Promise.reject(new Error('ECONNREFUSED')),
      release: () => Promise.reject(new Error('ECONNREFUSED')),
      renew: () => Promise.reject(new Error('ECONNREFUSED')),
    };
    const { runner, call, executions } = fixture({ store: broken });
    await expect(runner.run(call())).rejects.toMatchObject({
      category: 'unavailable',
      code: 'IDEMPOTENCY_STORE_UNAVAILABLE',
    });
    expect(executions()).toBe(0);
  });

  it('with a cache in front, never keeps a client error over a success another holder committed', async () => {
    const { runner, ledger, call } = fixture({ storeIsCache: true });
    // Meanwhile another holder (whose lease this call took over) commits the key; this call
    // then fails only because that success exists (say, "email taken").
    const shadowed = call({
      execute: async () => {
        await ledger.recordWithinRequest({
          scope: SCOPE,
          key: 'k-1',
          fingerprint: 'fp',
          leaseToken: 'the-other-holder',
          outcome: ok('theirs'),
          retentionMs: 60_000,
        });
        throw new DomainError('invalid_argument', 'TAKEN', 'taken by the other holder');
      },
    });
    expect(await runner.run(shadowed)).toEqual({ executed: false, replay: ok('theirs') });
    expect(await runner.run(call())).toEqual({ executed: false, replay: ok('theirs') });
  });

  it('with a cache in front, finds completions the cache lost in the ledger', async () => {
    const first = fixture({ storeIsCache: true });
    await first.runner.run(first.call());
    // A fresh cache (as after a crash between commit and cache write) over the same ledger.
    const emptyCache = new InMemoryIdempotencyStore(first.clock);
    const runner = new IdempotentRunner(
      emptyCache,
      first.ledger,
      new InMemoryRequestTransactions(),
      first.events,
      first.clock,
      { leaseMs: 30_000, pollMs: 5, storeIsCache: true },
    );
    expect(await runner.run(first.call())).toEqual({ executed: false, replay: ok('result-1') });
    expect(first.executions()).toBe(1);
    await expect(runner.run(first.call({ fingerprint: 'other' }))).rejects.toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
    });
  });

  it('with a cache in front, asks the ledger as the transaction opens, once the claim is new', async () => {
    const order: string[] = [];
    const clockless = new InMemoryIdempotencyStore(new ManualClock());
    const store: IdempotencyStore = {
      begin: async (request) => {
        const begun = await clockless.begin(request);
        order.push(`claimed ${begun.state}`);
        return begun;
      },
      complete: (request) => clockless.complete(request),
      release: (scope, key, token) => clockless.release(scope, key, token),
      renew: (scope, key, token, ms) => clockless.renew(scope, key, token, ms),
    };
    const { runner, ledger, call } = fixture({ storeIsCache: true, store });
    let finds = 0;
    const find = ledger.find.bind(ledger);
    ledger.completionAtOpening = (scope, key) => ({
      readInside: () => {
        order.push('ledger asked');
        return find(scope, key);
      },
    });
    ledger.find = (scope, key) => {
      finds += 1;
      return find(scope, key);
    };
    const execute = () => {
      order.push('executed');
      return Promise.resolve('done');
    };
    await runner.run(call({ execute }));
    expect(order).toEqual(['claimed new', 'ledger asked', 'executed']);
    expect(finds).toBe(0); // the opening read served; no second look in the transaction
    // A retry the cache answers costs the ledger nothing.
    await runner.run(call({ execute }));
    expect(order.slice(3)).toEqual(['claimed completed']);
  });

  it('with a cache in front, a failed ledger read fails the call and frees the key', async () => {
    const { runner, ledger, call, executions } = fixture({ storeIsCache: true });
    const opening = ledger.completionAtOpening.bind(ledger);
    ledger.completionAtOpening = () => ({
      readInside: () => Promise.reject(new Error('ledger unavailable')),
    });
    await expect(runner.run(call())).rejects.toThrow('ledger unavailable');
    expect(executions()).toBe(0);
    // Released: the retry claims the key again and runs.
    ledger.completionAtOpening = opening;
    expect((await runner.run(call())).executed).toBe(true);
  });

  it('with a cache in front, looks again when its claim had to wait for the first call', async () => {
    // The first call commits while this one waits, and the cache loses its completion: what
    // the ledger said before the wait is stale, and must not let this one execute.
    let attempts = 0;
    let commitFirst = (): Promise<void> => Promise.resolve();
    const store: IdempotencyStore = {
      begin: () => {
        attempts += 1;
        if (attempts === 1) {
          setTimeout(() => void commitFirst(), 1);
          return Promise.resolve({ state: 'in_progress' });
        }
        return Promise.resolve({
          state: 'new',
          leaseToken: 'lease-2',
          leaseExpiresAt: new Date(Date.now() + 1e6),
        });
      },
      complete: () => Promise.resolve(true),
      release: () => Promise.resolve(true),
      renew: () => Promise.resolve(true),
    };
    const { runner, ledger, call, executions } = fixture({ storeIsCache: true, store });
    commitFirst = () =>
      ledger.recordWithinRequest({
        scope: SCOPE,
        key: 'k-1',
        fingerprint: 'fp',
        leaseToken: 'lease-1',
        outcome: ok('first'),
        retentionMs: 60_000,
      });
    expect(await runner.run(call({ waitForResult: true }))).toEqual({
      executed: false,
      replay: ok('first'),
    });
    expect(attempts).toBe(2);
    expect(executions()).toBe(0);
  });

  describe('with a cache in front and Postgres idle', () => {
    /** Transactions that say they are idle, and tell what became of each one opened. */
    class IdleTransactions implements RequestTransactions {
      readonly log: string[] = [];
      failToOpen: Error | undefined;
      idle(): boolean {
        return true;
      }
      async run<T, F = undefined>(
        _tenantId: string,
        work: (opened: F) => Promise<T>,
        beforeCommit: (result: T) => Promise<void>,
        opening?: OpeningRead<F>,
      ): Promise<T> {
        this.log.push('transaction opened');
        if (this.failToOpen !== undefined) throw this.failToOpen;
        try {
          const result = await work((await opening?.readInside()) as F);
          await beforeCommit(result);
          this.log.push('committed');
          return result;
        } catch (error) {
          this.log.push('rolled back');
          throw error;
        }
      }
    }

    /** A store whose answers to `begin` wait until the test lets them go. */
    function heldStore(inner: IdempotencyStore, log: string[]) {
      let gate = deferred();
      const store: IdempotencyStore = {
        begin: async (request) => {
          log.push('claim asked');
          await gate.promise;
          const begun = await inner.begin(request);
          log.push(`claimed ${begun.state}`);
          return begun;
        },
        complete: (request) => inner.complete(request),
        release: (scope, key, token) => {
          log.push('released');
          return inner.release(scope, key, token);
        },
        renew: (scope, key, token, ms) => inner.renew(scope, key, token, ms),
      };
      return {
        store,
        letGo: () => {
          gate.resolve();
        },
        hold: () => {
          gate = deferred();
        },
      };
    }

    // A claim counts as late only where a test says so: a busy machine must not make it late.
    function idleFixture(earlyClaimWaitMs = 60_000) {
      const transactions = new IdleTransactions();
      const shared = new InMemoryIdempotencyStore(new ManualClock());
      const held = heldStore(shared, transactions.log);
      const parts = fixture({
        storeIsCache: true,
        store: held.store,
        transactions,
        earlyClaimWaitMs,
      });
      const find = parts.ledger.find.bind(parts.ledger);
      parts.ledger.completionAtOpening = (scope, key) => ({
        readInside: () => {
          transactions.log.push('ledger asked');
          return find(scope, key);
        },
      });
      const execute = () => {
        transactions.log.push('executed');
        return Promise.resolve('done');
      };
      return { ...parts, ...held, shared, transactions, log: transactions.log, execute };
    }

    const settle = () => new Promise((resolve) => setTimeout(resolve, 5));

    it('opens the transaction, asking the ledger, while the claim is on its way', async () => {
      const { runner, call, log, letGo, execute } = idleFixture();
      const running = runner.run(call({ execute }));
      await settle();
      // Nothing runs before the cache has answered, but everything else has started.
      expect(log).toEqual(['claim asked', 'transaction opened', 'ledger asked']);
      letGo();
      expect(await running).toEqual({ executed: true, result: 'done' });
      expect(log.slice(3)).toEqual(['claimed new', 'executed', 'committed']);
    });

    it('rolls the early transaction back for a retry the cache answers, and replays', async () => {
      const { runner, call, log, letGo, execute, events } = idleFixture();
      letGo();
      await runner.run(call({ execute }));
      log.length = 0;
      expect(await runner.run(call({ execute }))).toEqual({
        executed: false,
        replay: ok('done'),
      });
      expect(log).toEqual([
        'claim asked',
        'transaction opened',
        'ledger asked',
        'claimed completed',
        'rolled back',
      ]);
      expect(events.begins).toEqual(['new', 'replayed']);
      await expect(runner.run(call({ execute, fingerprint: 'other' }))).rejects.toMatchObject({
        code: 'IDEMPOTENCY_KEY_REUSED',
      });
      expect(log.filter((entry) => entry === 'executed')).toEqual([]);
    });

    it('waits for a running first call outside any transaction', async () => {
      const { runner, call, log, letGo, execute, shared } = idleFixture();
      letGo();
      const first = await shared.begin({
        scope: SCOPE,
        key: 'k-1',
        fingerprint: 'fp',
        leaseMs: 1e6,
      });
      if (first.state !== 'new') throw new Error('expected a new claim');
      const waiting = runner.run(call({ execute, waitForResult: true }));
      await settle();
      // The early transaction was given back at the first "in progress"; the retry now polls.
      expect(log.slice(0, 5)).toEqual([
        'claim asked',
        'transaction opened',
        'ledger asked',
        'claimed in_progress',
        'rolled back',
      ]);
      await shared.release(SCOPE, 'k-1', first.leaseToken);
      expect(await waiting).toEqual({ executed: true, result: 'done' });
      expect(log.filter((entry) => entry === 'transaction opened')).toHaveLength(2);
      expect(log.filter((entry) => entry === 'executed')).toHaveLength(1);
    });

    it('frees a lease the claim gives after the transaction failed to open', async () => {
      const { runner, call, log, letGo, hold, execute, transactions } = idleFixture();
      transactions.failToOpen = new Error('database unavailable');
      const failing = runner.run(call({ execute }));
      await settle();
      letGo();
      await expect(failing).rejects.toThrow('database unavailable');
      expect(log).toContain('released');
      // Free again: the next call claims it and runs.
      transactions.failToOpen = undefined;
      hold();
      letGo();
      expect(await runner.run(call({ execute }))).toEqual({ executed: true, result: 'done' });
    });

    it('gives the connection back when the claim is late, and goes on without asking again', async () => {
      const { runner, call, log, letGo, execute } = idleFixture(5);
      const running = runner.run(call({ execute }));
      // Past earlyClaimWaitMs: the early transaction is rolled back.
      await eventually(5_000, () => {
        expect(log).toEqual(['claim asked', 'transaction opened', 'ledger asked', 'rolled back']);
        return Promise.resolve();
      });
      letGo();
      expect(await running).toEqual({ executed: true, result: 'done' });
      // The late answer served: one claim, then a lookup and a transaction after it.
      expect(log.slice(4)).toEqual([
        'claimed new',
        'transaction opened',
        'ledger asked',
        'executed',
        'committed',
      ]);
    });

    it('answers a retry from the cache when the early transaction failed to open', async () => {
      const { runner, call, letGo, execute, transactions } = idleFixture();
      letGo();
      await runner.run(call({ execute }));
      transactions.failToOpen = new Error('database unavailable');
      expect(await runner.run(call({ execute }))).toEqual({
        executed: false,
        replay: ok('done'),
      });
    });

    it('replays what the ledger read at the opening found, and fills the cache with it', async () => {
      const { runner, call, letGo, execute, ledger, shared, log } = idleFixture();
      await ledger.recordWithinRequest({
        scope: SCOPE,
        key: 'k-1',
        fingerprint: 'fp',
        leaseToken: 'a-holder-that-crashed-before-the-cache-write',
        outcome: ok('theirs'),
        retentionMs: 60_000,
      });
      letGo();
      expect(await runner.run(call({ execute }))).toEqual({
        executed: false,
        replay: ok('theirs'),
      });
      expect(log).not.toContain('executed');
      const begun = await shared.begin({ scope: SCOPE, key: 'k-1', fingerprint: 'fp', leaseMs: 1 });
      expect(begun).toMatchObject({ state: 'completed', outcome: ok('theirs') });
    });

    it('fails UNAVAILABLE without running when the cache cannot answer', async () => {
      const { runner, call, log, execute, store } = idleFixture();
      store.begin = () => Promise.reject(new Error('redis down'));
      await expect(runner.run(call({ execute }))).rejects.toMatchObject({
        code: 'IDEMPOTENCY_STORE_UNAVAILABLE',
      });
      expect(log).toEqual(['transaction opened', 'ledger asked', 'rolled back']);
    });
  });
});
