import { afterAll, beforeAll } from 'vitest';

import { RandomIdGenerator } from '../../src/adapters/outbound/crypto/random-id-generator.js';
import { PgOutboxQueue } from '../../src/adapters/outbound/postgres/pg-outbox.js';
import { PgRecoveryUnitOfWork } from '../../src/adapters/outbound/postgres/pg-recovery-unit-of-work.js';
import { PgUnitOfWork } from '../../src/adapters/outbound/postgres/pg-unit-of-work.js';
import { PLATFORM_TENANT_ID } from '../../src/domain/shared/platform-tenant.js';
import { aTenant, anotherTenant, TENANT_A_ID, TENANT_B_ID } from '../mothers/tenant.mother.js';
import { aUser } from '../mothers/user.mother.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { recoveryStoreContract, USER_B_ID } from './recovery-store.contract.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

recoveryStoreContract('PgRecoveryUnitOfWork + PgOutboxQueue', async () => {
  await database.reset();
  const uow = new PgUnitOfWork(database.appKnex);
  await uow.inTenant(PLATFORM_TENANT_ID, async ({ tenants }) => {
    await tenants.insert(aTenant());
    await tenants.insert(anotherTenant());
  });
  await uow.inTenant(TENANT_A_ID, ({ users }) => users.insert(aUser()));
  await uow.inTenant(TENANT_B_ID, ({ users }) =>
    users.insert(aUser({ tenantId: TENANT_B_ID, id: USER_B_ID })),
  );
  return {
    uow: new PgRecoveryUnitOfWork(database.appKnex, new RandomIdGenerator()),
    queue: new PgOutboxQueue(database.appKnex),
  };
});
