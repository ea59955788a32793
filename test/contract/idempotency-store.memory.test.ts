import { InMemoryIdempotencyStore } from '../../src/adapters/outbound/memory/in-memory-idempotency.store.js';
import { ReplayCachingIdempotencyStore } from '../../src/adapters/outbound/memory/replay-caching-idempotency-store.js';
import { idempotencyStoreContract } from './idempotency-store.contract.js';

idempotencyStoreContract(
  'in-memory',
  (clock, options) => new InMemoryIdempotencyStore(clock, options),
);

// The replay cache must keep every rule of the store it fronts.
idempotencyStoreContract(
  'in-memory behind the in-process replay cache',
  (clock, options) =>
    new ReplayCachingIdempotencyStore(new InMemoryIdempotencyStore(clock, options), clock),
);
