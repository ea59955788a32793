import { afterAll, beforeAll } from 'vitest';

import { PgUnitOfWork } from '../../src/adapters/outbound/postgres/pg-unit-of-work.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { roleRepositoryContract } from './role-repository.contract.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

roleRepositoryContract('PgUnitOfWork', async () => {
  await database.reset();
  return new PgUnitOfWork(database.appKnex);
});
