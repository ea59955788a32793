import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgUnitOfWork } from '../../src/adapters/outbound/postgres/pg-unit-of-work.js';
import { PLATFORM_TENANT_ID } from '../../src/domain/shared/platform-tenant.js';
import { aTenant, TENANT_A_ID } from '../mothers/tenant.mother.js';
import { aUser } from '../mothers/user.mother.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { deferred } from '../support/deferred.js';

// Tenant changes read the row, edit it and write all of it back: the row lock is what keeps a
// profile edit from writing back the status a concurrent suspension has just changed.

let database: TestDatabase;
let uow: PgUnitOfWork;

beforeAll(async () => {
  database = await createTestDatabase();
  uow = new PgUnitOfWork(database.appKnex);
  await uow.inTenant(PLATFORM_TENANT_ID, ({ tenants }) => tenants.insert(aTenant()));
});

afterAll(async () => {
  await database.drop();
});

describe('TenantRepository.findByIdForUpdate on Postgres', () => {
  it('leaves alone rows that refer to the tenant: a user is registered while it is locked', async () => {
    const { promise: isLocked, resolve: locked } = deferred();
    const { promise: released, resolve: release } = deferred();
    const holder = uow.inTenant(PLATFORM_TENANT_ID, async ({ tenants }) => {
      await tenants.findByIdForUpdate(TENANT_A_ID);
      locked();
      await released;
    });
    await isLocked;
    // The insert's foreign key check takes a key share lock on the tenant row: FOR UPDATE would
    // make every write of the tenant wait for a profile edit.
    const inserted = uow.inTenant(TENANT_A_ID, ({ users }) => users.insert(aUser()));
    const outcome = await Promise.race([
      inserted.then(() => 'inserted'),
      new Promise((resolve) => setTimeout(resolve, 2_000)).then(() => 'waiting for the tenant row'),
    ]);
    release();
    await holder;
    await inserted;
    expect(outcome).toBe('inserted');
  });

  it('makes a concurrent change wait, so neither change undoes the other', async () => {
    const { promise: read, resolve: editorHasRead } = deferred();
    const edit = uow.inTenant(PLATFORM_TENANT_ID, async ({ tenants }) => {
      const tenant = await tenants.findByIdForUpdate(TENANT_A_ID);
      if (tenant === undefined) throw new Error('tenant A is missing');
      editorHasRead();
      // The suspension below starts now; without the lock it would commit before this write.
      await new Promise((resolve) => setTimeout(resolve, 200));
      await tenants.update({ ...tenant, displayName: 'Edited' });
    });
    await read;
    const suspend = uow.inTenant(PLATFORM_TENANT_ID, async ({ tenants }) => {
      const tenant = await tenants.findByIdForUpdate(TENANT_A_ID);
      if (tenant === undefined) throw new Error('tenant A is missing');
      await tenants.update({ ...tenant, status: 'suspended' });
    });
    await Promise.all([edit, suspend]);

    const final = await uow.inTenant(PLATFORM_TENANT_ID, ({ tenants }) =>
      tenants.findById(TENANT_A_ID),
    );
    expect(final).toMatchObject({ displayName: 'Edited', status: 'suspended' });
  });
});
