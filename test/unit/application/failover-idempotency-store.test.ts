import { describe, expect, it } from 'vitest';
import { InMemoryIdempotencyStore } from '../../../src/adapters/outbound/memory/in-memory-idempotency.store.js';
import { FailoverIdempotencyStore } from '../../../src/application/idempotency/failover-idempotency-store.js';
import type { IdempotencyStore } from '../../../src/domain/idempotency/idempotency-store.port.js';
import { ManualClock } from '../../contract/idempotency-store.contract.js';

const SCOPE = { tenantId: 't', principalId: 'p', operation: '/svc/Do' };
const OUTCOME = {
  code: 0,
  body: new Uint8Array([1]),
  message: '',
  details: undefined,
  truncated: false,
};

/** A primary that fails while `down` is set, like Redis with its offline queue disabled. */
function flaky(inner: IdempotencyStore) {
  const state = { down: false };
  const guard = <T>(work: () => Promise<T>): Promise<T> =>
    state.down ? Promise.reject(new Error('connection closed')) : work();
  const store: IdempotencyStore = {
    begin: (request) => guard(() => inner.begin(request)),
    complete: (request) => guard(() => inner.complete(request)),
    release: (...args) => guard(() => inner.release(...args)),
    renew: (...args) => guard(() => inner.renew(...args)),
  };
  return { store, state };
}

describe('FailoverIdempotencyStore', () => {
  it('uses the fallback while the primary fails, and completes each lease where it was granted', async () => {
    const clock = new ManualClock();
    const primary = flaky(new InMemoryIdempotencyStore(clock));
    const fallback = new InMemoryIdempotencyStore(clock, { leaseTokenPrefix: 'pg:' });
    const failovers: unknown[] = [];
    const store = new FailoverIdempotencyStore(primary.store, fallback, 'pg:', (error) =>
      failovers.push(error),
    );
    const request = { scope: SCOPE, key: 'k', fingerprint: 'f', leaseMs: 1000 };

    const viaPrimary = await store.begin(request);
    expect(viaPrimary).toMatchObject({ state: 'new' });

    primary.state.down = true;
    const viaFallback = await store.begin({ ...request, key: 'k2' });
    if (viaFallback.state !== 'new') throw new Error('expected a new lease');
    expect(viaFallback.leaseToken.startsWith('pg:')).toBe(true);
    expect(failovers).toHaveLength(1);
    const completed = await store.complete({
      scope: SCOPE,
      key: 'k2',
      leaseToken: viaFallback.leaseToken,
      outcome: OUTCOME,
      retentionMs: 60_000,
    });
    expect(completed).toBe(true);
    expect(await fallback.begin({ ...request, key: 'k2' })).toMatchObject({ state: 'completed' });

    primary.state.down = false;
    if (viaPrimary.state !== 'new') throw new Error('expected a new lease');
    expect(await store.renew(SCOPE, 'k', viaPrimary.leaseToken, 1000)).toBe(true);
  });
});
