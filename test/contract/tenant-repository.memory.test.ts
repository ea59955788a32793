import { InMemoryUnitOfWork } from '../../src/adapters/outbound/memory/in-memory-unit-of-work.js';
import { MemoryDatabase } from '../../src/adapters/outbound/memory/memory-database.js';
import { tenantRepositoryContract } from './tenant-repository.contract.js';

tenantRepositoryContract('InMemoryUnitOfWork', () =>
  Promise.resolve(new InMemoryUnitOfWork(new MemoryDatabase())),
);
