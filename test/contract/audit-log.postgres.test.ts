import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Knex } from 'knex';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { AuditChainVerifier } from '../../src/application/audit/verify-audit-chain.js';
import * as auditChainMigration from '../../src/adapters/outbound/postgres/migrations/009-audit-chain.migration.js';
import * as auditChainGuardMigration from '../../src/adapters/outbound/postgres/migrations/011-audit-chain-guard.migration.js';
import { sha256Hex } from '../../src/adapters/outbound/shared/sha256.js';
import {
  AUDIT_CHAIN_CONFLICT,
  BufferedAuditRecorder,
  DEFAULT_RECORDER_OPTIONS,
} from '../../src/adapters/outbound/shared/buffered-audit-recorder.js';
import { AuditEventLister } from '../../src/application/audit/list-audit-events.js';
import { pruneAuditLog } from '../../src/adapters/outbound/postgres/pg-audit-pruner.js';
import {
  AuditChainWalk,
  type ChainedAuditEvent,
  GENESIS_LINK,
} from '../../src/domain/audit/audit-chain.js';

import { createKnex } from '../../src/adapters/outbound/postgres/knex.factory.js';
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

const actorIn = (tenantId: string) =>
  ({ tenantId, principal: { tenantId, subjectId: 'x', kind: 'user' } }) as never;
const verify = (log: PgAuditLog, batchSize?: number) =>
  new AuditChainVerifier(log, sha256Hex, batchSize).run(actorIn(TENANT_A_ID));
const eventNo = (n: number): string => `0e000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** Runs owner SQL on the audit rows with the append-only trigger paused (a tamperer's move). */
const tamper = async (sql: string, bindings: readonly Knex.Value[]): Promise<void> => {
  await database.ownerKnex.transaction(async (trx) => {
    await trx.raw('alter table core.audit_events disable trigger audit_events_append_only');
    await trx.raw(sql, bindings);
    await trx.raw('alter table core.audit_events enable trigger audit_events_append_only');
  });
};

describe('PgAuditLog hash chain against the database owner', () => {
  let log: PgAuditLog;
  beforeEach(async () => {
    await withTenants();
    log = new PgAuditLog(database.appKnex);
    for (let n = 1; n <= 6; n += 1) {
      await log.append([anAuditEvent({ id: eventNo(n), details: { n } })]);
    }
    expect(await verify(log)).toMatchObject({ ok: true, checked: 6 });
  });

  it('reports exactly the row whose details the owner altered', async () => {
    await tamper(
      `update core.audit_events set details = '{"n": 99}' where tenant_id = ? and sequence = 4`,
      [TENANT_A_ID],
    );
    expect(await verify(log, 2)).toEqual({
      ok: false,
      checked: 3,
      firstBadSequence: 4,
      problem: expect.stringMatching(/hash mismatch/) as unknown,
    });
  });

  it('reports a broken link when the owner also rewrote the altered row’s hash', async () => {
    await tamper(
      `update core.audit_events set actor_kind = 'service', hash = sha256(hash)
        where tenant_id = ? and sequence = 2`,
      [TENANT_A_ID],
    );
    const report = await verify(log);
    expect(report).toMatchObject({ ok: false, checked: 1, firstBadSequence: 2 });
  });

  it('reports the gap a deleted row leaves', async () => {
    await tamper('delete from core.audit_events where tenant_id = ? and sequence = 3', [
      TENANT_A_ID,
    ]);
    expect(await verify(log)).toEqual({
      ok: false,
      checked: 2,
      firstBadSequence: 3,
      problem: 'sequence gap: expected 3, found 4',
    });
  });

  it('reports deleted latest events (the chain stops short of its head)', async () => {
    await tamper('delete from core.audit_events where tenant_id = ? and sequence >= 5', [
      TENANT_A_ID,
    ]);
    expect(await verify(log)).toMatchObject({ ok: false, checked: 4, firstBadSequence: 5 });
  });

  it('still refuses the owner’s UPDATE and DELETE while the trigger is on', async () => {
    await expect(
      database.ownerKnex.raw("update core.audit_events set outcome = 'failure'"),
    ).rejects.toMatchObject({ message: expect.stringMatching(/append-only/) as unknown });
    await expect(database.ownerKnex.raw('delete from core.audit_events')).rejects.toMatchObject({
      message: expect.stringMatching(/append-only/) as unknown,
    });
  });

  it('hashes the ip as Postgres stores it (inet prints its own canonical form)', async () => {
    await log.append([
      anAuditEvent({
        id: eventNo(7),
        actor: { kind: 'anonymous', ip: '2001:DB8:0:0:0:0:0:1' },
      }),
    ]);
    const [stored] = await log.search(TENANT_A_ID, { limit: 1 });
    expect(stored?.actor.ip).toBe('2001:db8::1');
    expect(await verify(log)).toMatchObject({ ok: true, checked: 7 });
  });
});

describe('PgAuditLog chain guard (the database keeps the head)', () => {
  let log: PgAuditLog;
  beforeEach(async () => {
    await withTenants();
    log = new PgAuditLog(database.appKnex);
    for (let n = 1; n <= 6; n += 1) {
      await log.append([anAuditEvent({ id: eventNo(n), details: { n } })]);
    }
  });

  /** Runs SQL as the app role in tenant A, committed. */
  const asAppInA = (sql: string, bindings: readonly Knex.Value[]): Promise<unknown> =>
    database.appKnex.transaction(async (trx) => {
      await trx.raw("select set_config('app.tenant_id', ?, true)", [TENANT_A_ID]);
      await trx.raw(sql, bindings);
    });
  const forged = (sequence: number, prevHash: Buffer): Promise<unknown> =>
    asAppInA(
      `insert into core.audit_events (tenant_id, id, occurred_at, actor_kind, action, outcome, details, sequence, prev_hash, hash)
       values (?, gen_random_uuid(), now(), 'user', 'authz.role.deleted', 'success', '{"forged": true}', ?, ?, ?)`,
      [TENANT_A_ID, sequence, prevHash, Buffer.alloc(32, 0x11)],
    );

  it('refuses the app role a row past the head: appends, listing and verification are unharmed', async () => {
    const head = (await log.chainState(TENANT_A_ID)).head;
    await expect(forged(head.sequence + 1, Buffer.alloc(32))).rejects.toMatchObject({
      code: AUDIT_CHAIN_CONFLICT,
    });
    await expect(
      asAppInA('update core.audit_chain_heads set last_sequence = 1', []),
    ).rejects.toMatchObject({ code: '42501' });
    await log.append([anAuditEvent({ id: eventNo(7) })]);
    expect(await verify(log)).toMatchObject({ ok: true, checked: 7 });
  });

  it('stores a continuing row with a forged hash, but verification reports it and appends go on', async () => {
    const head = (await log.chainState(TENANT_A_ID)).head;
    await forged(head.sequence + 1, Buffer.from(head.hash, 'hex'));
    await log.append([anAuditEvent({ id: eventNo(8) })]);
    expect((await log.chainState(TENANT_A_ID)).head.sequence).toBe(8);
    expect(await verify(log)).toMatchObject({
      ok: false,
      checked: 6,
      firstBadSequence: 7,
      problem: expect.stringMatching(/hash mismatch/) as unknown,
    });
  });

  it('lists only anchor < sequence <= head, and the recorder retries a sequence clash (alarm), never drops it as rejected', async () => {
    // The owner, with the guard paused, puts a row past the head.
    await database.ownerKnex.transaction(async (trx) => {
      await trx.raw('alter table core.audit_events disable trigger audit_events_chain_guard');
      await trx.raw(
        `insert into core.audit_events (tenant_id, id, occurred_at, actor_kind, action, outcome, details, sequence, prev_hash, hash)
         values (?, gen_random_uuid(), now(), 'user', 'authz.role.deleted', 'success', '{}', 7, ?, ?)`,
        [TENANT_A_ID, Buffer.alloc(32), Buffer.alloc(32)],
      );
      await trx.raw('alter table core.audit_events enable trigger audit_events_chain_guard');
    });
    const page = await new AuditEventLister(log).run(actorIn(TENANT_A_ID), {
      filter: {},
      pageSize: 50,
      after: undefined,
    });
    expect(page.items.map((event) => event.sequence)).toEqual([6, 5, 4, 3, 2, 1]);
    expect(await verify(log)).toMatchObject({ ok: true, checked: 6 });

    const dropped: string[] = [];
    const conflicts: unknown[] = [];
    const recorder = new BufferedAuditRecorder(log, {
      ...DEFAULT_RECORDER_OPTIONS,
      maxAttempts: 3,
      retryDelayMs: 1,
      onDropped: (count, reason) => dropped.push(`${String(count)} ${reason}`),
      onChainConflict: (error) => conflicts.push(error),
    });
    recorder.record(anAuditEvent({ id: eventNo(20) }));
    recorder.record(anAuditEvent({ id: eventNo(22), tenantId: TENANT_B_ID }));
    recorder.record(anAuditEvent({ id: eventNo(21) }));
    await recorder.flush();
    // Three tries of the whole batch, then per tenant: B's event is written, A's given up.
    expect(conflicts).toHaveLength(6);
    expect(conflicts[0]).toMatchObject({
      code: '23505',
      constraint: 'audit_events_tenant_sequence_key',
    });
    expect(dropped).toEqual(['2 write_failed']);
    expect((await log.list(TENANT_B_ID, 10)).map((event) => event.id)).toEqual([eventNo(22)]);
  });
});

describe('PgAuditLog on two replicas at once', () => {
  it('keeps one gapless chain per tenant when two pools append mixed-tenant batches concurrently', async () => {
    await withTenants();
    const replicas = [database.appKnex, createKnex(database.appUrl, { poolMax: 4 })];
    try {
      const [one, two] = replicas.map((knex) => new PgAuditLog(knex)) as [PgAuditLog, PgAuditLog];
      // Batches name the tenants in both orders: heads are locked in one global order.
      await Promise.all(
        Array.from({ length: 40 }, (_, n) => {
          const first = n % 2 === 0 ? TENANT_A_ID : TENANT_B_ID;
          const second = first === TENANT_A_ID ? TENANT_B_ID : TENANT_A_ID;
          return (n % 2 === 0 ? one : two).append([
            anAuditEvent({ id: eventNo(2 * n + 1), tenantId: first }),
            anAuditEvent({ id: eventNo(2 * n + 2), tenantId: second }),
          ]);
        }),
      );
      for (const tenantId of [TENANT_A_ID, TENANT_B_ID]) {
        const chain = await one.chainSlice(tenantId, 0, 1000, 1000);
        expect(chain.map((event) => event.sequence)).toEqual(
          Array.from({ length: 40 }, (_, n) => n + 1),
        );
        const report = await new AuditChainVerifier(two, sha256Hex, 9).run(actorIn(tenantId));
        expect(report).toMatchObject({ ok: true, checked: 40 });
      }
    } finally {
      await replicas[1]?.destroy();
    }
  });
});

describe('migration 009 on a log written before the chain', () => {
  it('chains the existing rows per tenant so that they verify', async () => {
    await withTenants();
    const owner = database.ownerKnex;
    await auditChainGuardMigration.down(owner);
    await auditChainMigration.down(owner);
    await owner.raw(
      `insert into core.audit_events (tenant_id, id, occurred_at, actor_kind, actor_ip, action, outcome, details)
       select ?, ('0e000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid,
              timestamptz '2025-01-01' + n * interval '1 second', 'user', '198.51.100.1', 'auth.login.succeeded',
              'success', jsonb_build_object('n', n)
         from generate_series(1, 2500) as n`,
      [TENANT_A_ID],
    );
    await owner.raw(
      `insert into core.audit_events (tenant_id, id, occurred_at, actor_kind, action, outcome)
       values (?, gen_random_uuid(), now(), 'anonymous', 'auth.login.failed', 'failure')`,
      [TENANT_B_ID],
    );
    await owner.transaction(async (trx) => {
      await auditChainMigration.up(trx);
      await auditChainGuardMigration.up(trx);
    });
    const log = new PgAuditLog(database.appKnex);
    expect(await verify(log)).toMatchObject({ ok: true, checked: 2500 });
    expect(await new AuditChainVerifier(log, sha256Hex).run(actorIn(TENANT_B_ID))).toMatchObject({
      ok: true,
      checked: 1,
    });
    await log.append([anAuditEvent({ id: eventNo(9999) })]);
    expect((await log.chainState(TENANT_A_ID)).head.sequence).toBe(2501);
    expect(await verify(log)).toMatchObject({ ok: true, checked: 2501 });
  });
});

describe('export-then-prune (as the owner)', () => {
  const old = new Date('2020-01-01T00:00:00.000Z');
  const recent = new Date();
  let dir: string;
  let log: PgAuditLog;
  beforeEach(async () => {
    await withTenants();
    dir = await mkdtemp(join(tmpdir(), 'audit-prune-'));
    log = new PgAuditLog(database.appKnex);
    // Sequence 5 is recent, 6 old again: only the prefix 1..4 can go.
    const times = [old, old, old, old, recent, old, recent];
    for (const [n, occurredAt] of times.entries()) {
      await log.append([anAuditEvent({ id: eventNo(n + 1), occurredAt, details: { n } })]);
    }
    await log.append([anAuditEvent({ id: eventNo(50), tenantId: TENANT_B_ID, occurredAt: old })]);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('exports the old prefix of each chain, moves the anchor there, deletes it, and the rest verifies', async () => {
    const exportPath = join(dir, 'export.jsonl');
    const cutoff = new Date(Date.now() - 86_400_000);
    const pruned = await pruneAuditLog(database.ownerKnex, { cutoff, exportPath, batchSize: 3 });
    const a = pruned.find((entry) => entry.tenantId === TENANT_A_ID);
    expect(a).toMatchObject({ exported: 4, deleted: 4, anchor: { sequence: 4 } });
    expect(pruned.find((entry) => entry.tenantId === TENANT_B_ID)).toMatchObject({
      exported: 1,
      deleted: 1,
    });

    const lines = (await readFile(exportPath, 'utf8')).trim().split('\n');
    const exported = lines.map((line) => JSON.parse(line) as ChainedAuditEvent);
    const ownA = exported.filter((event) => event.tenantId === TENANT_A_ID);
    expect(ownA.map((event) => event.sequence)).toEqual([1, 2, 3, 4]);
    // The export file alone proves the pruned part: it chains from genesis to the new anchor.
    const walk = new AuditChainWalk(sha256Hex, GENESIS_LINK);
    for (const event of ownA) {
      expect(walk.check({ ...event, occurredAt: new Date(event.occurredAt) })).toBe(true);
    }
    expect(walk.position).toEqual(a?.anchor);

    expect((await log.chainSlice(TENANT_A_ID, 0, 100, 100)).map((e) => e.sequence)).toEqual([
      5, 6, 7,
    ]);
    expect(await verify(log)).toMatchObject({ ok: true, checked: 3 });
    await log.append([anAuditEvent({ id: eventNo(8) })]);
    expect(await verify(log)).toMatchObject({ ok: true, checked: 4 });

    // Above the anchor the trigger still refuses the owner; a second run prunes nothing more.
    await expect(
      database.ownerKnex.raw('delete from core.audit_events where sequence = 5'),
    ).rejects.toMatchObject({ message: expect.stringMatching(/append-only/) as unknown });
    const again = await pruneAuditLog(database.ownerKnex, { cutoff, exportPath });
    expect(again.find((entry) => entry.tenantId === TENANT_A_ID)).toMatchObject({
      exported: 0,
      deleted: 0,
    });
  });

  it('`npm run audit:prune` does it from the environment, as the owner', async () => {
    const run = (env: Record<string, string>) =>
      new Promise<{ code: number | null; output: string }>((resolve) => {
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', 'src/adapters/outbound/postgres/audit-prune-cli.ts'],
          {
            cwd: new URL('../..', import.meta.url).pathname,
            env: {
              PATH: process.env.PATH ?? '',
              DATABASE_MIGRATION_URL: database.ownerUrl,
              ...env,
            },
          },
        );
        let output = '';
        child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
        child.on('exit', (code) => {
          resolve({ code, output });
        });
      });
    const unset = await run({ AUDIT_EXPORT_DIR: dir });
    expect(unset.code).toBe(0);
    expect(unset.output).toContain('kept forever');
    expect(await readdir(dir)).toEqual([]);

    const pruned = await run({ AUDIT_RETENTION_DAYS: '30', AUDIT_EXPORT_DIR: dir });
    expect(pruned.code, pruned.output).toBe(0);
    const [file] = await readdir(dir);
    expect(file).toMatch(/^audit-export-.*\.jsonl$/);
    expect((await readFile(join(dir, file ?? ''), 'utf8')).trim().split('\n')).toHaveLength(5);
    expect(await verify(log)).toMatchObject({ ok: true, checked: 3 });
    expect((await log.chainState(TENANT_A_ID)).anchor.sequence).toBe(4);
  }, 30_000);

  it('the app role can move neither the anchor nor delete below it', async () => {
    const app = database.appKnex;
    await expect(
      app.transaction(async (trx) => {
        await trx.raw("select set_config('app.tenant_id', ?, true)", [TENANT_A_ID]);
        await trx.raw('update core.audit_chain_heads set anchor_sequence = 3');
      }),
    ).rejects.toMatchObject({ code: '42501' });
    await expect(
      app.transaction(async (trx) => {
        await trx.raw("select set_config('app.tenant_id', ?, true)", [TENANT_A_ID]);
        await trx.raw('delete from core.audit_events where sequence = 1');
      }),
    ).rejects.toMatchObject({ code: '42501' });
  });

  it('skips a tampered chain (deletes nothing of it, cuts its lines out of the export) and prunes the other tenants', async () => {
    await tamper(
      `update core.audit_events set details = '{"n": 99}' where tenant_id = ? and sequence = 3`,
      [TENANT_A_ID],
    );
    const exportPath = join(dir, 'export.jsonl');
    // batchSize 1: A's events 1 and 2 are written before 3 fails, and must be cut back out.
    const pruned = await pruneAuditLog(database.ownerKnex, {
      cutoff: new Date(Date.now() - 86_400_000),
      exportPath,
      batchSize: 1,
    });
    expect(pruned).toEqual([
      expect.objectContaining({
        tenantId: TENANT_A_ID,
        exported: 0,
        deleted: 0,
        problem: { sequence: 3, problem: expect.stringMatching(/hash mismatch/) as unknown },
      }),
      expect.objectContaining({ tenantId: TENANT_B_ID, exported: 1, deleted: 1 }),
    ]);
    expect(await log.chainSlice(TENANT_A_ID, 0, 100, 100)).toHaveLength(7);
    expect((await log.chainState(TENANT_A_ID)).anchor.sequence).toBe(0);
    expect((await log.chainState(TENANT_B_ID)).anchor.sequence).toBe(1);
    const lines = (await readFile(exportPath, 'utf8')).split('\n').filter((line) => line !== '');
    expect(lines.map((line) => (JSON.parse(line) as ChainedAuditEvent).tenantId)).toEqual([
      TENANT_B_ID,
    ]);
    expect(await readdir(dir)).toEqual(['export.jsonl']);
  });

  it('writes the export under a temporary name and never replaces an existing file: nothing is pruned then', async () => {
    const exportPath = join(dir, 'export.jsonl');
    await writeFile(exportPath, 'an earlier export\n');
    await expect(
      pruneAuditLog(database.ownerKnex, {
        cutoff: new Date(Date.now() - 86_400_000),
        exportPath,
      }),
    ).rejects.toMatchObject({ code: 'EEXIST' });
    expect(await readFile(exportPath, 'utf8')).toBe('an earlier export\n');
    expect(await readdir(dir)).toEqual(['export.jsonl']);
    expect((await log.chainState(TENANT_A_ID)).anchor.sequence).toBe(0);
    expect(await log.chainSlice(TENANT_A_ID, 0, 100, 100)).toHaveLength(7);
  });

  it('`npm run audit:prune` exits 1 after pruning the other tenants when one chain does not verify', async () => {
    await tamper(
      `update core.audit_events set details = '{"n": 99}' where tenant_id = ? and sequence = 2`,
      [TENANT_A_ID],
    );
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/adapters/outbound/postgres/audit-prune-cli.ts'],
      {
        cwd: new URL('../..', import.meta.url).pathname,
        env: {
          PATH: process.env.PATH ?? '',
          DATABASE_MIGRATION_URL: database.ownerUrl,
          AUDIT_RETENTION_DAYS: '30',
          AUDIT_EXPORT_DIR: dir,
        },
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, output).toBe(1);
    expect(output).toContain('skipped a tenant');
    expect((await log.chainState(TENANT_B_ID)).anchor.sequence).toBe(1);
    expect((await log.chainState(TENANT_A_ID)).anchor.sequence).toBe(0);
    const files = await readdir(dir);
    expect(files).toHaveLength(1);
    expect((await readFile(join(dir, files[0] ?? ''), 'utf8')).trim().split('\n')).toHaveLength(1);
  }, 30_000);
});
