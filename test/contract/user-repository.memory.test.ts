import { InMemoryUnitOfWork } from '../../src/adapters/outbound/memory/in-memory-unit-of-work.js';
import { MemoryDatabase } from '../../src/adapters/outbound/memory/memory-database.js';
import { userRepositoryContract } from './user-repository.contract.js';

userRepositoryContract('InMemoryUnitOfWork', () =>
  Promise.resolve(new InMemoryUnitOfWork(new MemoryDatabase())),
);
