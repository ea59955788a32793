import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommitDeferredFeed } from '../../src/adapters/outbound/postgres/after-commit.js';
import { PgAuditLog } from '../../src/adapters/outbound/postgres/pg-audit-log.js';
import { PgJoinedTransactions } from '../../src/adapters/outbound/postgres/pg-joined-transactions.js';
import { PgRequestTransactions } from '../../src/adapters/outbound/postgres/pg-request-transactions.js';
import { PgTenantChanges } from '../../src/adapters/outbound/postgres/pg-tenant-changes.js';
import { PgSessionRevocations } from '../../src/adapters/outbound/postgres/pg-session-revocations.js';
import { PLATFORM_TENANT_ID } from '../../src/domain/shared/platform-tenant.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

const SESSION = '05000000-0000-7000-8000-00000000aaaa';
const TENANT = '05000000-0000-4000-8000-00000000bbbb';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let db: TestDatabase;
let sender: CommitDeferredFeed;
let receiver: PgSessionRevocations;

beforeAll(async () => {
  db = await createTestDatabase();
  const logger = pino({ level: 'silent' });
  sender = new CommitDeferredFeed(new PgSessionRevocations(db.appUrl, db.appKnex, logger));
  receiver = new PgSessionRevocations(db.appUrl, db.appKnex, logger);
  await sender.start();
  await receiver.start();
});
afterAll(async () => {
  await sender.close();
  await receiver.close();
  await db.drop();
});

describe('announcements wait for the request transaction', () => {
  it('a revocation inside a rolled-back request transaction is never heard, here or elsewhere', async () => {
    const heard: string[] = [];
    sender.onRevoked((id) => heard.push(`local:${id}`));
    receiver.onRevoked((id) => heard.push(`remote:${id}`));
    const transactions = new PgRequestTransactions(db.appKnex);
    await expect(
      transactions.run(
        PLATFORM_TENANT_ID,
        () => {
          sender.revoked([SESSION]);
          return Promise.resolve('done');
        },
        () => Promise.reject(new Error('the request failed before committing')),
      ),
    ).rejects.toThrow('the request failed');
    await sleep(300);
    expect(heard).toEqual([]);

    let heardBeforeCommit = true;
    await transactions.run(
      PLATFORM_TENANT_ID,
      async () => {
        sender.revoked([SESSION]);
        await sleep(50);
        heardBeforeCommit = heard.length > 0;
        return 'done';
      },
      () => Promise.resolve(),
    );
    expect(heardBeforeCommit).toBe(false);
    // This replica hears it as soon as the transaction has committed; others moments later.
    expect(heard).toEqual([`local:${SESSION}`]);
    await sleep(300);
    expect(heard).toContain(`remote:${SESSION}`);
  });

  it('outside a request transaction the announcement goes out at once', () => {
    const heard: string[] = [];
    sender.onRevoked((id) => heard.push(id));
    sender.revoked([SESSION]);
    expect(heard).toEqual([SESSION]);
  });
});

describe('tenant change announcements wait for the request transaction', () => {
  it('are heard after the commit, and never for a rolled-back change', async () => {
    const changes = new PgTenantChanges(db.appUrl, db.appKnex, pino({ level: 'silent' }));
    await changes.start();
    try {
      const heard: string[] = [];
      changes.onChange((tenantId) => heard.push(tenantId));
      const transactions = new PgRequestTransactions(db.appKnex);
      await expect(
        transactions.run(
          PLATFORM_TENANT_ID,
          () => {
            changes.changed(TENANT);
            return Promise.resolve('done');
          },
          () => Promise.reject(new Error('rolled back')),
        ),
      ).rejects.toThrow('rolled back');
      await sleep(300);
      expect(heard).toEqual([]);

      let heardBeforeCommit = true;
      await transactions.run(
        PLATFORM_TENANT_ID,
        async () => {
          changes.changed(TENANT);
          await sleep(50);
          heardBeforeCommit = heard.length > 0;
        },
        () => Promise.resolve(),
      );
      expect(heardBeforeCommit).toBe(false);
      expect(heard[0]).toBe(TENANT);
    } finally {
      await changes.close();
    }
  });
});

describe('PgJoinedTransactions', () => {
  const event = (id: string) => ({
    tenantId: PLATFORM_TENANT_ID,
    id,
    occurredAt: new Date(),
    actor: { kind: 'anonymous' as const },
    action: 'test.joined',
    outcome: 'success' as const,
    details: {},
  });
  const stored = async (id: string): Promise<number> =>
    (await db.ownerKnex('core.audit_events').where({ id })).length;

  it('makes its pieces one transaction: a later failure undoes an earlier write', async () => {
    const audit = new PgAuditLog(db.appKnex);
    const joined = new PgJoinedTransactions(new PgRequestTransactions(db.appKnex));
    const first = '0e000000-0000-7000-8000-000000000001';
    await expect(
      joined.run(
        PLATFORM_TENANT_ID,
        async () => {
          await audit.append([event(first)]);
          throw new Error('the second write failed');
        },
        () => Promise.resolve(),
      ),
    ).rejects.toThrow('the second write failed');
    expect(await stored(first)).toBe(0);
  });

  it('inside a request transaction it joins it: the outer rollback undoes its writes too', async () => {
    const audit = new PgAuditLog(db.appKnex);
    const outer = new PgRequestTransactions(db.appKnex);
    const joined = new PgJoinedTransactions(outer);
    const second = '0e000000-0000-7000-8000-000000000002';
    await expect(
      outer.run(
        PLATFORM_TENANT_ID,
        async () => {
          await joined.run(
            PLATFORM_TENANT_ID,
            () => audit.append([event(second)]),
            () => Promise.resolve(),
          );
          return 'done';
        },
        () => Promise.reject(new Error('the request failed before committing')),
      ),
    ).rejects.toThrow('the request failed');
    expect(await stored(second)).toBe(0);
  });
});
