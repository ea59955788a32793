import { afterAll, beforeAll } from 'vitest';

import { PgUnitOfWork } from '../../src/adapters/outbound/postgres/pg-unit-of-work.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { roleRepositoryContract } from './role-repository.contract.js';
import { userRepositoryContract } from './user-repository.contract.js';

// One database for both suites: files, not suites, are what run in parallel.
let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

const makeUnitOfWork = async (): Promise<PgUnitOfWork> => {
  await database.reset();
  return new PgUnitOfWork(database.appKnex);
};

userRepositoryContract('PgUnitOfWork', makeUnitOfWork);
roleRepositoryContract('PgUnitOfWork', makeUnitOfWork);
