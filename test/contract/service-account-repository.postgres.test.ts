import { afterAll, beforeAll } from 'vitest';

import { PgUnitOfWork } from '../../src/adapters/outbound/postgres/pg-unit-of-work.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { serviceAccountRepositoryContract } from './service-account-repository.contract.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

serviceAccountRepositoryContract('PgUnitOfWork', async () => {
  await database.reset();
  return new PgUnitOfWork(database.appKnex);
});
