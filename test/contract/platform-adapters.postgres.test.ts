import { afterAll, beforeAll } from 'vitest';

import { PgSigningKeyRepository } from '../../src/adapters/outbound/postgres/pg-signing-key.repository.js';
import { PgTenantDirectory } from '../../src/adapters/outbound/postgres/pg-tenant-directory.js';
import { PgUnitOfWork } from '../../src/adapters/outbound/postgres/pg-unit-of-work.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { signingKeyRepositoryContract } from './signing-key-repository.contract.js';
import { tenantDirectoryContract } from './tenant-directory.contract.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

tenantDirectoryContract('PgTenantDirectory', async () => {
  await database.reset();
  return {
    directory: new PgTenantDirectory(database.appKnex),
    unitOfWork: new PgUnitOfWork(database.appKnex),
  };
});

signingKeyRepositoryContract('PgSigningKeyRepository', async () => {
  await database.reset();
  return new PgSigningKeyRepository(database.appKnex);
});
