import { describe, expect, it } from 'vitest';

import { InMemoryIdempotencyStore } from '../../../src/adapters/outbound/memory/in-memory-idempotency.store.js';
import { ReplayCachingIdempotencyStore } from '../../../src/adapters/outbound/memory/replay-caching-idempotency-store.js';
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
): Promise<void> {
  const begun = await store.begin({ scope: SCOPE, key, fingerprint: 'fp', leaseMs: 1000 });
  if (begun.state !== 'new') throw new Error('expected new');
  await store.complete({
    scope: SCOPE,
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

const begin = (store: ReplayCachingIdempotencyStore, key: string, fingerprint = 'fp') =>
  store.begin({ scope: SCOPE, key, fingerprint, leaseMs: 1000 });

describe('ReplayCachingIdempotencyStore', () => {
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
});
