import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgTenantChanges } from '../../src/adapters/outbound/postgres/pg-tenant-changes.js';
import { TENANT_A_ID } from '../mothers/tenant.mother.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { tenantChangesContract } from './tenant-changes.contract.js';

let db: TestDatabase;
const opened: PgTenantChanges[] = [];
const open = async (): Promise<PgTenantChanges> => {
  const changes = new PgTenantChanges(db.appUrl, db.appKnex, pino({ level: 'silent' }));
  await changes.start();
  opened.push(changes);
  return changes;
};

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  for (const changes of opened) await changes.close();
  await db.drop();
});

tenantChangesContract('postgres LISTEN/NOTIFY', open);

describe('PgTenantChanges across replicas', () => {
  it('reaches a listener of another instance, as the app role', async () => {
    const [sender, receiver] = [await open(), await open()];
    const heard = new Promise<string>((resolve) => {
      receiver.onChange(resolve);
    });
    sender.changed(TENANT_A_ID);
    expect(await heard).toBe(TENANT_A_ID);
  });
});
