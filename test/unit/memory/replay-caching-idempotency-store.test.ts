import { describe, expect, it } from 'vitest';

import { InMemoryIdempotencyStore } from '../../../src/adapters/outbound/memory/in-memory-idempotency.store.js';
import {
  MAX_SCOPES_PER_KEY,
  ReplayCachingIdempotencyStore,
} from '../../../src/adapters/outbound/memory/replay-caching-idempotency-store.js';
import type {
  BeginRequest,
  BeginResult,
  StoredOutcome,
} from '../../../src/domain/idempotency/idempotency-record.js';
import { ManualClock, SCOPE } from '../../contract/idempotency-store.contract.js';

/** The shared store, counting the begins that reach it. */
class CountingStore extends InMemoryIdempotencyStore {
  begins = 0;
  override begin(request: BeginRequest): Promise<BeginResult> {
    this.begins += 1;
    return super.begin(request);
  }
}

const outcome = (bytes: number): StoredOutcome => ({
  code: 0,
  body: new Uint8Array(bytes).fill(1),
  message: '',
  details: undefined,
  truncated: false,
});

async function completeKey(
  store: ReplayCachingIdempotencyStore,
  key: string,
  bytes = 8,
  retentionMs = 60_000,
  scope = SCOPE,
): Promise<void> {
  const begun = await store.begin({ scope, key, fingerprint: 'fp', leaseMs: 1000 });
  if (begun.state !== 'new') throw new Error('expected new');
  await store.complete({
    scope,
    key,
    leaseToken: begun.leaseToken,
    outcome: outcome(bytes),
    retentionMs,
  });
}

const setUp = (limits?: { maxEntries?: number; maxBytes?: number }) => {
  const clock = new ManualClock();
  const shared = new CountingStore(clock);
  return { clock, shared, store: new ReplayCachingIdempotencyStore(shared, clock, limits) };
};

const begin = (
  store: ReplayCachingIdempotencyStore,
  key: string,
  fingerprint = 'fp',
  scope = SCOPE,
) => store.begin({ scope, key, fingerprint, leaseMs: 1000 });

describe('ReplayCachingIdempotencyStore', () => {
  it('does not keep a record whose expiry it cannot read', async () => {
    const clock = new ManualClock();
    const shared = new CountingStore(clock);
    const broken: BeginResult = {
      state: 'completed',
      outcome: outcome(8),
      expiresAt: new Date(Number.NaN),
    };
    shared.begin = () => {
      shared.begins += 1;
      return Promise.resolve(broken);
    };
    const store = new ReplayCachingIdempotencyStore(shared, clock);
    expect((await begin(store, 'k')).state).toBe('completed');
    expect(store.recall(SCOPE, 'k', 'fp')).toBeUndefined();
    await begin(store, 'k');
    expect(shared.begins).toBe(2); // asked the shared store again: nothing was kept
  });

  it('answers retries of a completed key without asking the shared store again', async () => {
    const { shared, store } = setUp();
    await completeKey(store, 'k');
    expect((await begin(store, 'k')).state).toBe('completed'); // learnt from the shared store
    const asked = shared.begins;
    expect((await begin(store, 'k')).state).toBe('completed');
    expect((await begin(store, 'k', 'other')).state).toBe('mismatch');
    expect(shared.begins).toBe(asked);
  });

  it('never remembers a key that is not completed', async () => {
    const { shared, store } = setUp();
    expect((await begin(store, 'running')).state).toBe('new');
    expect((await begin(store, 'running')).state).toBe('in_progress');
    expect((await begin(store, 'running')).state).toBe('in_progress');
    expect(shared.begins).toBe(3);
    expect(store.size).toBe(0);
  });

  it('forgets a completed record at its expiry, so the key runs anew', async () => {
    const { clock, store } = setUp();
    await completeKey(store, 'k', 8, 10_000);
    expect((await begin(store, 'k')).state).toBe('completed');
    clock.advance(10_001);
    expect((await begin(store, 'k')).state).toBe('new');
  });

  it('stays within its entry and byte budgets, dropping the least recently used', async () => {
    const { shared, store } = setUp({ maxEntries: 2, maxBytes: 100 });
    for (const key of ['a', 'b', 'c']) {
      await completeKey(store, key, 40);
      await begin(store, key);
    }
    expect(store.size).toBe(2);
    const asked = shared.begins;
    await begin(store, 'a'); // dropped: asks the shared store again
    expect(shared.begins).toBe(asked + 1);

    await completeKey(store, 'big', 200);
    await begin(store, 'big');
    await begin(store, 'big');
    expect(shared.begins).toBe(asked + 4); // over the byte budget: never kept
  });

  it('keeps a record read since the last eviction over an older unread one', async () => {
    const { shared, store } = setUp({ maxEntries: 2 });
    for (const key of ['a', 'b']) {
      await completeKey(store, key);
      await begin(store, key);
    }
    expect(store.recall(SCOPE, 'a', 'fp')).toMatchObject({ state: 'completed' }); // a is used
    await completeKey(store, 'c');
    await begin(store, 'c'); // needs room: b, unread, goes; a stays
    expect(store.size).toBe(2);
    expect(store.recall(SCOPE, 'a', 'fp')).toMatchObject({ state: 'completed' });
    expect(store.recall(SCOPE, 'c', 'fp')).toMatchObject({ state: 'completed' });
    expect(store.recall(SCOPE, 'b', 'fp')).toBeUndefined();
    const asked = shared.begins;
    await begin(store, 'b');
    expect(shared.begins).toBe(asked + 1);
  });

  it('stays within its entry budget however often its records are read', async () => {
    const { store } = setUp({ maxEntries: 3 });
    for (let i = 0; i < 20; i++) {
      await completeKey(store, `k${i}`);
      await begin(store, `k${i}`);
      for (let j = Math.max(0, i - 5); j <= i; j++) store.recall(SCOPE, `k${j}`, 'fp');
      expect(store.size).toBeLessThanOrEqual(3);
    }
    expect(store.recall(SCOPE, 'k19', 'fp')).toMatchObject({ state: 'completed' });
  });

  it('recalls only completed, unexpired records, and forgets expired ones on the spot', async () => {
    const { clock, shared, store } = setUp();
    expect(store.recall(SCOPE, 'k', 'fp')).toBeUndefined();
    await completeKey(store, 'k', 8, 10_000);
    expect(store.recall(SCOPE, 'k', 'fp')).toBeUndefined(); // not learnt yet
    await begin(store, 'k');
    expect(store.recall(SCOPE, 'k', 'fp')).toEqual(await begin(store, 'k'));
    expect(store.recall(SCOPE, 'k', 'other')).toEqual({ state: 'mismatch' });
    clock.advance(10_000);
    const asked = shared.begins;
    expect(store.recall(SCOPE, 'k', 'fp')).toBeUndefined();
    expect(store.size).toBe(0);
    expect(shared.begins).toBe(asked); // recall never reaches the shared store
  });

  it('keeps one key in several scopes apart, and forgets each on its own', async () => {
    const { clock, store } = setUp();
    const scopes = [
      SCOPE,
      { ...SCOPE, principalId: 'user-0002' },
      { ...SCOPE, tenantId: '0190a5e2-0000-7000-8000-00000000000b' },
      { ...SCOPE, operation: '/wemaster.core.v1.TenancyService/UpdateTenant' },
    ];
    for (const [index, scope] of scopes.entries()) {
      await completeKey(store, 'same', index + 1, (index + 1) * 1000, scope);
      await begin(store, 'same', 'fp', scope);
    }
    expect(store.size).toBe(4);
    for (const [index, scope] of scopes.entries()) {
      const recalled = store.recall(scope, 'same', 'fp');
      expect(recalled?.state === 'completed' && recalled.outcome.body?.byteLength).toBe(index + 1);
    }
    clock.advance(2500); // the first two expire: one at the chain's end, one in its middle
    expect(scopes.map((scope) => store.recall(scope, 'same', 'fp')?.state)).toEqual([
      undefined,
      undefined,
      'completed',
      'completed',
    ]);
    expect(store.size).toBe(2);
    expect(store.recall({ ...SCOPE, principalId: 'user-0003' }, 'same', 'fp')).toBeUndefined();
  });

  it('keeps a key used by many scopes only a few times, still answering the rest', async () => {
    const { shared, store } = setUp();
    const scopes = Array.from({ length: MAX_SCOPES_PER_KEY + 4 }, (_, i) => ({
      ...SCOPE,
      principalId: `user-${String(i).padStart(4, '0')}`,
    }));
    for (const scope of scopes) {
      await completeKey(store, '1', 8, 60_000, scope);
      expect((await begin(store, '1', 'fp', scope)).state).toBe('completed');
    }
    expect(store.size).toBe(MAX_SCOPES_PER_KEY);
    const last = scopes.at(-1) ?? SCOPE;
    expect(store.recall(last, '1', 'fp')).toBeUndefined(); // not kept here
    const asked = shared.begins;
    expect((await begin(store, '1', 'fp', last)).state).toBe('completed'); // the shared store's
    expect(shared.begins).toBe(asked + 1);
  });
});
