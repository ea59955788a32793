import { randomBytes } from 'node:crypto';

import type { Knex } from 'knex';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';

import { createKnex } from '../../src/adapters/outbound/postgres/knex.factory.js';
import { runMigrations } from '../../src/adapters/outbound/postgres/migrate.js';
import { APP_GROUP_ROLE } from '../../src/adapters/outbound/postgres/pg-schema.js';
import { RandomIdGenerator } from '../../src/adapters/outbound/crypto/random-id-generator.js';
import {
  PgOutboxMaintenance,
  PgOutboxQueue,
} from '../../src/adapters/outbound/postgres/pg-outbox.js';
import { PgRecoveryUnitOfWork } from '../../src/adapters/outbound/postgres/pg-recovery-unit-of-work.js';
import { PgUnitOfWork } from '../../src/adapters/outbound/postgres/pg-unit-of-work.js';
import { PLATFORM_TENANT_ID } from '../../src/domain/shared/platform-tenant.js';
import { aTenant, anotherTenant, TENANT_A_ID, TENANT_B_ID } from '../mothers/tenant.mother.js';
import '../support/provided-context.js';

/**
 * The outbox claim function when the migrations ran as an owner that is NOT a superuser (the
 * production shape): the owner is subject to FORCE ROW LEVEL SECURITY too, so the claim works
 * only through the policy that lets the owning role see every tenant's messages.
 */
const suffix = randomBytes(5).toString('hex');
const OWNER = `wm_oowner_${suffix}`;
const OWNER_PASSWORD = `owner-${suffix}`;
const APP = `wm_oapp_${suffix}`;
const APP_PASSWORD = `app-${suffix}`;
const DATABASE = `wm_test_oowner_${suffix}`;

const adminUrl = inject('postgresAdminUrl');
const urlOf = (user: string, password: string): string => {
  const parsed = new URL(adminUrl);
  parsed.pathname = `/${DATABASE}`;
  parsed.username = user;
  parsed.password = password;
  return parsed.toString();
};

async function asAdmin(sql: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

let owner: Knex | undefined;
let app: Knex | undefined;
const migrated = (knex: Knex | undefined): Knex => {
  if (knex === undefined) throw new Error('the migrations did not run');
  return knex;
};
const ownerKnex = (): Knex => migrated(owner);
const appKnex = (): Knex => migrated(app);

beforeAll(async () => {
  await asAdmin(
    `create role ${OWNER} login createrole nosuperuser nobypassrls password '${OWNER_PASSWORD}'`,
  );
  // As the README says for PostgreSQL 16+ (the embedded default is 18): an owner administers
  // the group role that already exists, or cannot grant it to the login role it creates.
  await asAdmin(`do $$ begin
    if exists (select 1 from pg_catalog.pg_roles where rolname = '${APP_GROUP_ROLE}') then
      execute 'grant ${APP_GROUP_ROLE} to ${OWNER} with admin option';
    end if;
  end $$`);
  await asAdmin(`create database ${DATABASE} owner ${OWNER}`);
  const ownerUrl = urlOf(OWNER, OWNER_PASSWORD);
  const appUrl = urlOf(APP, APP_PASSWORD);
  await runMigrations({ ownerUrl, appUrl });
  owner = createKnex(ownerUrl, { poolMax: 1, applicationName: 'wemaster-test-owner' });
  app = createKnex(appUrl, { poolMax: 2, applicationName: 'wemaster-test-app' });
});

afterAll(async () => {
  await Promise.all([owner?.destroy(), app?.destroy()]);
  await asAdmin(`drop database if exists ${DATABASE} with (force)`);
  await asAdmin(`drop role if exists ${APP}`);
  await asAdmin(`drop role if exists ${OWNER}`);
});

describe('outbox claims with a non-superuser owner', () => {
  it("claim every tenant's due mail for the app role, which still sees only its own", async () => {
    await new PgUnitOfWork(appKnex()).inTenant(PLATFORM_TENANT_ID, async ({ tenants }) => {
      await tenants.insert(aTenant());
      await tenants.insert(anotherTenant());
    });
    const recovery = new PgRecoveryUnitOfWork(appKnex(), new RandomIdGenerator());
    for (const tenantId of [TENANT_A_ID, TENANT_B_ID]) {
      await recovery.inTenant(tenantId, (scope) =>
        scope.notifier.notify({ kind: 'k', recipient: tenantId, subject: 's', bodyText: 'b' }),
      );
    }
    const queue = new PgOutboxQueue(appKnex());
    const claimed = await queue.claim(10, 60_000);
    expect(claimed.map((mail) => mail.tenantId).sort()).toEqual([TENANT_A_ID, TENANT_B_ID]);
    for (const mail of claimed) await queue.markSent(mail);
    expect(await queue.claim(10, 0)).toEqual([]);
    const visible = await appKnex().transaction(async (trx) => {
      await trx.raw("select set_config('app.tenant_id', ?, true)", [TENANT_A_ID]);
      return trx.raw<{ rows: { n: string; sent: string }[] }>(
        'select count(*) as n, count(sent_at) as sent from core.outbox_messages',
      );
    });
    expect(visible.rows[0]).toEqual({ n: '1', sent: '1' });
    // And ownerKnex (the definer) is no superuser.
    const who = await ownerKnex().raw<{ rows: { rolsuper: boolean }[] }>(
      'select rolsuper from pg_catalog.pg_roles where rolname = current_user',
    );
    expect(who.rows[0]?.rolsuper).toBe(false);
  });
});

describe('outbox upkeep with a non-superuser owner (migration 010)', () => {
  const HOUR = 3_600_000;
  const maintenance = (retentionMs: number) =>
    new PgOutboxMaintenance(appKnex(), { retentionMs, maxAttempts: 3 });
  /** Updates every message of a tenant, through that tenant (row-level security). */
  const age = (tenantId: string, fields: Record<string, unknown>) =>
    appKnex().transaction(async (trx) => {
      await trx.raw("select set_config('app.tenant_id', ?, true)", [tenantId]);
      await trx('core.outbox_messages').update(fields);
    });
  const count = (tenantId: string) =>
    appKnex().transaction(async (trx) => {
      await trx.raw("select set_config('app.tenant_id', ?, true)", [tenantId]);
      return (await trx('core.outbox_messages').select('id', 'sent_at', 'attempts')).length;
    });

  it('counts the backlog and prunes old sent and given-up mail of every tenant, in batches', async () => {
    const recovery = new PgRecoveryUnitOfWork(appKnex(), new RandomIdGenerator());
    // The first test left one sent message per tenant; add pending ones.
    for (const tenantId of [TENANT_A_ID, TENANT_B_ID]) {
      for (let i = 0; i < 2; i += 1) {
        await recovery.inTenant(tenantId, (scope) =>
          scope.notifier.notify({ kind: 'k', recipient: tenantId, subject: 's', bodyText: 'b' }),
        );
      }
    }
    expect(await maintenance(HOUR).backlog()).toEqual({ pending: 4, failed: 0 });
    // Tenant B's unsent mail has exhausted its attempts: given up.
    await appKnex().transaction(async (trx) => {
      await trx.raw("select set_config('app.tenant_id', ?, true)", [TENANT_B_ID]);
      await trx('core.outbox_messages').whereNull('sent_at').update({ attempts: 3 });
    });
    expect(await maintenance(HOUR).backlog()).toEqual({ pending: 2, failed: 2 });

    // Nothing is old enough yet.
    expect(await maintenance(HOUR).pruneAll(1)).toBe(0);
    // Two hours later (as if): sent mail and given-up mail go; pending mail stays.
    const twoHoursAgo = new Date(Date.now() - 2 * HOUR);
    for (const tenantId of [TENANT_A_ID, TENANT_B_ID]) {
      await age(tenantId, { created_at: twoHoursAgo });
    }
    await appKnex().transaction(async (trx) => {
      for (const tenantId of [TENANT_A_ID, TENANT_B_ID]) {
        await trx.raw("select set_config('app.tenant_id', ?, true)", [tenantId]);
        await trx('core.outbox_messages').whereNotNull('sent_at').update({ sent_at: twoHoursAgo });
      }
    });
    const pruned: number[] = [];
    const pruner = new PgOutboxMaintenance(appKnex(), {
      retentionMs: HOUR,
      maxAttempts: 3,
      onPruned: (n) => {
        pruned.push(n);
      },
    });
    // Batches of one: 2 sent + 2 given up, each batch a short statement.
    expect(await pruner.pruneAll(1)).toBe(4);
    expect(pruned.every((n) => n <= 2)).toBe(true);
    expect(await count(TENANT_A_ID)).toBe(2);
    expect(await count(TENANT_B_ID)).toBe(0);
    expect(await pruner.backlog()).toEqual({ pending: 2, failed: 0 });
  });

  it("leaves the app role unable to delete another tenant's mail (only the function prunes across tenants)", async () => {
    const deleted: number = await appKnex().transaction(async (trx) => {
      await trx.raw("select set_config('app.tenant_id', ?, true)", [TENANT_B_ID]);
      const count: number = await trx('core.outbox_messages')
        .where({ tenant_id: TENANT_A_ID })
        .del();
      return count;
    });
    expect(deleted).toBe(0);
    expect(await count(TENANT_A_ID)).toBe(2);
  });
});
