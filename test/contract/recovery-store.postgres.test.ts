import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { RandomIdGenerator } from '../../src/adapters/outbound/crypto/random-id-generator.js';
import { PgOutboxQueue } from '../../src/adapters/outbound/postgres/pg-outbox.js';
import { PgRecoveryUnitOfWork } from '../../src/adapters/outbound/postgres/pg-recovery-unit-of-work.js';
import { PgRequestTransactions } from '../../src/adapters/outbound/postgres/pg-request-transactions.js';
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

const prepare = async () => {
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
};

recoveryStoreContract('PgRecoveryUnitOfWork + PgOutboxQueue', prepare);

describe('PgRecoveryUnitOfWork inside a request transaction', () => {
  const mail = { kind: 'k', recipient: 'r@x.test', subject: 's', bodyText: 'b' };

  it('queues mail that commits with the request, even for another tenant', async () => {
    const { uow, queue } = await prepare();
    await new PgRequestTransactions(database.appKnex).run(
      TENANT_A_ID,
      () => uow.inTenant(TENANT_B_ID, (scope) => scope.notifier.notify(mail)),
      () => Promise.resolve(),
    );
    expect((await queue.claim(10, 60_000)).map((m) => m.tenantId)).toEqual([TENANT_B_ID]);
  });

  it('drops the mail when the request fails after the unit of work succeeded', async () => {
    const { uow, queue } = await prepare();
    await expect(
      new PgRequestTransactions(database.appKnex).run(
        TENANT_A_ID,
        async () => {
          await uow.inTenant(TENANT_A_ID, (scope) => scope.notifier.notify(mail));
          throw new Error('the request failed');
        },
        () => Promise.resolve(),
      ),
    ).rejects.toThrow('the request failed');
    expect(await queue.claim(10, 60_000)).toEqual([]);
  });
});
