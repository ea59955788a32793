import { InMemoryUnitOfWork } from '../../src/adapters/outbound/memory/in-memory-unit-of-work.js';
import { MemoryDatabase } from '../../src/adapters/outbound/memory/memory-database.js';
import { roleRepositoryContract } from './role-repository.contract.js';

roleRepositoryContract('InMemoryUnitOfWork', () =>
  Promise.resolve(new InMemoryUnitOfWork(new MemoryDatabase())),
);
