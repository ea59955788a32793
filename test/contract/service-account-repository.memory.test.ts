import { InMemoryUnitOfWork } from '../../src/adapters/outbound/memory/in-memory-unit-of-work.js';
import { MemoryDatabase } from '../../src/adapters/outbound/memory/memory-database.js';
import { serviceAccountRepositoryContract } from './service-account-repository.contract.js';

serviceAccountRepositoryContract('InMemoryUnitOfWork', () =>
  Promise.resolve(new InMemoryUnitOfWork(new MemoryDatabase())),
);
