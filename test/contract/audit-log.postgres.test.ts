import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { PgAuditLog } from '../../src/adapters/outbound/postgres/pg-audit-log.js';
import {
  ambientTransaction,
  PgRequestTransactions,
} from '../../src/adapters/outbound/postgres/pg-request-transactions.js';
import { PgUnitOfWork } from '../../src/adapters/outbound/postgres/pg-unit-of-work.js';
import { PLATFORM_TENANT_ID } from '../../src/domain/shared/platform-tenant.js';
import { anAuditEvent } from '../mothers/audit-event.mother.js';
import { aTenant, anotherTenant, TENANT_A_ID, TENANT_B_ID } from '../mothers/tenant.mother.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { auditLogContract } from './audit-log.contract.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

const withTenants = async (): Promise<void> => {
  await database.reset();
  await new PgUnitOfWork(database.appKnex).inTenant(PLATFORM_TENANT_ID, async ({ tenants }) => {
    await tenants.insert(aTenant());
    await tenants.insert(anotherTenant());
  });
};

auditLogContract('PgAuditLog', async () => {
  await withTenants();
  return new PgAuditLog(database.appKnex);
});

describe('PgAuditLog inside a request transaction', () => {
  it('commits with the request, in another tenant than the request, and leaves its tenant set', async () => {
    await withTenants();
    const log = new PgAuditLog(database.appKnex);
    const transactions = new PgRequestTransactions(database.appKnex);
    const seen = await transactions.run(
      TENANT_A_ID,
      async () => {
        await log.append([anAuditEvent({ tenantId: TENANT_B_ID })]);
        const ambient = ambientTransaction.getStore();
        if (ambient === undefined) throw new Error('expected a request transaction');
        const setting = await ambient.trx.raw<{ rows: { t: string }[] }>(
          "select current_setting('app.tenant_id', true) as t",
        );
        return setting.rows[0]?.t;
      },
      () => Promise.resolve(),
    );
    expect(seen).toBe(TENANT_A_ID);
    expect(await log.list(TENANT_B_ID, 10)).toHaveLength(1);
  });

  it('rolls back with the request', async () => {
    await withTenants();
    const log = new PgAuditLog(database.appKnex);
    const transactions = new PgRequestTransactions(database.appKnex);
    await expect(
      transactions.run(
        TENANT_A_ID,
        async () => {
          await log.append([anAuditEvent()]);
          throw new Error('the request failed');
        },
        () => Promise.resolve(),
      ),
    ).rejects.toThrow('the request failed');
    expect(await log.list(TENANT_A_ID, 10)).toEqual([]);
  });
});
