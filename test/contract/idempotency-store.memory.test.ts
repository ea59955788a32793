import { InMemoryIdempotencyStore } from '../../src/adapters/outbound/memory/in-memory-idempotency.store.js';
import { idempotencyStoreContract } from './idempotency-store.contract.js';

idempotencyStoreContract(
  'in-memory',
  (clock, options) => new InMemoryIdempotencyStore(clock, options),
);
