import { SystemClock } from '../../src/adapters/outbound/crypto/system-clock.js';
import { RandomIdGenerator } from '../../src/adapters/outbound/crypto/random-id-generator.js';
import {
  InMemoryRecoveryStore,
  InMemoryRecoveryUnitOfWork,
} from '../../src/adapters/outbound/memory/in-memory-recovery-unit-of-work.js';
import { InMemoryUnitOfWork } from '../../src/adapters/outbound/memory/in-memory-unit-of-work.js';
import { PLATFORM_TENANT_ID } from '../../src/domain/shared/platform-tenant.js';
import { aTenant, anotherTenant, TENANT_A_ID, TENANT_B_ID } from '../mothers/tenant.mother.js';
import { aUser } from '../mothers/user.mother.js';
import { recoveryStoreContract, USER_B_ID } from './recovery-store.contract.js';

recoveryStoreContract('InMemoryRecoveryUnitOfWork', async () => {
  const uow = new InMemoryUnitOfWork();
  await uow.inTenant(PLATFORM_TENANT_ID, async ({ tenants }) => {
    await tenants.insert(aTenant());
    await tenants.insert(anotherTenant());
  });
  await uow.inTenant(TENANT_A_ID, ({ users }) => users.insert(aUser()));
  await uow.inTenant(TENANT_B_ID, ({ users }) =>
    users.insert(aUser({ tenantId: TENANT_B_ID, id: USER_B_ID })),
  );
  const clock = new SystemClock();
  const store = new InMemoryRecoveryStore(clock);
  return {
    uow: new InMemoryRecoveryUnitOfWork(uow, store, new RandomIdGenerator(), clock),
    queue: store,
  };
});
