import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createKnex } from '../../src/adapters/outbound/postgres/knex.factory.js';

import {
  PgIdempotencyPruner,
  PgIdempotencyStore,
} from '../../src/adapters/outbound/postgres/pg-idempotency.store.js';
import { PgUnitOfWork } from '../../src/adapters/outbound/postgres/pg-unit-of-work.js';
import { PLATFORM_TENANT_ID } from '../../src/domain/shared/platform-tenant.js';
import { aTenant, anotherTenant, TENANT_A_ID, TENANT_B_ID } from '../mothers/tenant.mother.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import {
  freshKey,
  idempotencyStoreContract,
  ManualClock,
  SCOPE,
} from './idempotency-store.contract.js';

let db: TestDatabase;
/** The app role with room for real contention (100 simultaneous begins). */
let wide: Knex;

beforeAll(async () => {
  db = await createTestDatabase();
  wide = createKnex(db.appUrl, { poolMax: 24, applicationName: 'wemaster-test-idempotency' });
  await new PgUnitOfWork(db.ownerKnex).inTenant(PLATFORM_TENANT_ID, async ({ tenants }) => {
    await tenants.insert(aTenant());
    await tenants.insert(anotherTenant());
  });
});
afterAll(async () => {
  await wide.destroy();
  await db.drop();
});

idempotencyStoreContract(
  'postgres',
  (clock, options) => new PgIdempotencyStore(wide, clock, options),
);

/** Rows of `key` under `tenantId`, read as the app role with that tenant set. */
async function rowsAs(tenantId: string, key: string): Promise<number> {
  return db.appKnex.transaction(async (trx) => {
    await trx.raw("select set_config('app.tenant_id', ?, true)", [tenantId]);
    const result = await trx.raw<{ rows: unknown[] }>(
      'select 1 from core.idempotency_keys where idempotency_key = ?',
      [key],
    );
    return result.rows.length;
  });
}

/** Whether the row of (SCOPE, key) exists, read by the owner (sees every tenant). */
async function exists(key: string): Promise<boolean> {
  const result = await db.ownerKnex.raw<{ rows: unknown[] }>(
    'select 1 from core.idempotency_keys where idempotency_key = ?',
    [key],
  );
  return result.rows.length > 0;
}

describe('PgIdempotencyStore', () => {
  it("keeps a tenant's records out of another tenant's sight (RLS)", async () => {
    const store = new PgIdempotencyStore(db.appKnex, new ManualClock());
    const key = freshKey();
    expect((await store.begin({ scope: SCOPE, key, fingerprint: 'fp', leaseMs: 5000 })).state).toBe(
      'new',
    );
    expect(await rowsAs(TENANT_A_ID, key)).toBe(1);
    expect(await rowsAs(TENANT_B_ID, key)).toBe(0);
  });

  it('marks a released record expired instead of deleting it', async () => {
    const clock = new ManualClock();
    const store = new PgIdempotencyStore(db.appKnex, clock);
    const key = freshKey();
    const first = await store.begin({ scope: SCOPE, key, fingerprint: 'fp', leaseMs: 5000 });
    if (first.state !== 'new') throw new Error('expected a new key');
    expect(await store.release(SCOPE, key, first.leaseToken)).toBe(true);
    const row = await db.ownerKnex.raw<{
      rows: { lease_token: string | null; expires_at: Date }[];
    }>('select lease_token, expires_at from core.idempotency_keys where idempotency_key = ?', [
      key,
    ]);
    expect(row.rows).toEqual([{ lease_token: null, expires_at: clock.now() }]);
  });

  it('rejects a tenant id that is not a UUID', async () => {
    const store = new PgIdempotencyStore(db.appKnex, new ManualClock());
    await expect(
      store.begin({
        scope: { ...SCOPE, tenantId: 'acme' },
        key: freshKey(),
        fingerprint: 'fp',
        leaseMs: 5000,
      }),
    ).rejects.toThrow(/UUID/);
  });
});

describe('PgIdempotencyPruner (core.idempotency_prune)', () => {
  const HOUR = 3_600_000;

  /** A completed record with `retentionMs`, or an in-progress one with `leaseMs`, at `at`. */
  async function record(
    at: number,
    kind: 'completed' | 'in_progress',
    ms: number,
    tenantId = TENANT_A_ID,
  ): Promise<string> {
    const store = new PgIdempotencyStore(db.appKnex, new ManualClock(at));
    const scope = { ...SCOPE, tenantId };
    const key = freshKey();
    const first = await store.begin({ scope, key, fingerprint: 'fp', leaseMs: ms });
    if (first.state !== 'new') throw new Error('expected a new key');
    if (kind === 'completed') {
      const outcome = { code: 0, body: Uint8Array.of(1), message: '', details: undefined };
      await store.complete({
        scope,
        key,
        leaseToken: first.leaseToken,
        outcome: { ...outcome, truncated: false },
        retentionMs: ms,
      });
    }
    return key;
  }

  it('deletes expired records of every tenant, and only those', async () => {
    const now = Date.now();
    const doomed = [
      await record(now - 2 * HOUR, 'completed', 60_000),
      await record(now - 2 * HOUR, 'completed', 60_000, TENANT_B_ID),
      await record(now - 3 * HOUR, 'in_progress', 60_000),
    ];
    const kept = [
      await record(now, 'completed', HOUR),
      await record(now, 'in_progress', HOUR),
      // The lease ended, but less than an hour ago: a slow holder may still be around.
      await record(now - 30 * 60_000, 'in_progress', 60_000),
    ];
    const counts: number[] = [];
    const pruner = new PgIdempotencyPruner(db.appKnex, { onPruned: (n) => counts.push(n) });
    let total = 0;
    for (;;) {
      const deleted = await pruner.pruneOnce(1);
      total += deleted;
      if (deleted < 1) break;
    }
    expect(total).toBeGreaterThanOrEqual(doomed.length);
    expect(counts.every((n) => n === 1)).toBe(true);
    for (const key of doomed) expect(await exists(key)).toBe(false);
    for (const key of kept) expect(await exists(key)).toBe(true);
  });

  it('batches until a batch comes back short, and runs on a timer until stopped', async () => {
    const now = Date.now();
    const doomed = await Promise.all(
      Array.from({ length: 7 }, () => record(now - 2 * HOUR, 'completed', 60_000)),
    );
    const pruner = new PgIdempotencyPruner(db.appKnex);
    expect(await pruner.pruneAll(3)).toBeGreaterThanOrEqual(7);
    for (const key of doomed) expect(await exists(key)).toBe(false);

    const more = await record(now - 2 * HOUR, 'completed', 60_000);
    let heard: (count: number) => void = () => undefined;
    const pruned = new Promise<number>((resolve) => {
      heard = resolve;
    });
    const timed = new PgIdempotencyPruner(db.appKnex, { onPruned: (count) => heard(count) });
    timed.start(10, 100);
    try {
      expect(await pruned).toBeGreaterThanOrEqual(1);
    } finally {
      await timed.stop();
    }
    expect(await exists(more)).toBe(false);
  });

  it('keeps live records, and is not executable by PUBLIC', async () => {
    const pruner = new PgIdempotencyPruner(db.appKnex);
    const key = await record(Date.now(), 'completed', HOUR);
    await pruner.pruneAll(100);
    expect(await exists(key)).toBe(true);
    const acl = await db.ownerKnex.raw<{ rows: { public: boolean }[] }>(
      "select has_function_privilege('public', 'core.idempotency_prune(integer)', 'execute') as public",
    );
    expect(acl.rows[0]?.public).toBe(false);
  });
});
