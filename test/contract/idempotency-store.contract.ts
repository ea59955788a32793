import { randomUUID } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import type {
  BeginResult,
  IdempotencyScope,
  StoredOutcome,
} from '../../src/domain/idempotency/idempotency-record.js';
import type { IdempotencyStore } from '../../src/domain/idempotency/idempotency-store.port.js';
import type { Clock } from '../../src/domain/shared/clock.port.js';
import { TENANT_A_ID, TENANT_B_ID } from '../mothers/tenant.mother.js';

/** A clock the test moves by hand; every adapter judges expiry with it. */
export class ManualClock implements Clock {
  constructor(private ms: number = Date.now()) {}

  now(): Date {
    return new Date(this.ms);
  }

  advance(ms: number): void {
    this.ms += ms;
  }
}

export interface IdempotencyStoreFactoryOptions {
  readonly maxResponseBytes?: number;
}

/** A store on `clock`; tenants TENANT_A_ID and TENANT_B_ID must exist where that matters. */
export type IdempotencyStoreFactory = (
  clock: ManualClock,
  options?: IdempotencyStoreFactoryOptions,
) => Promise<IdempotencyStore> | IdempotencyStore;

export const SCOPE: IdempotencyScope = {
  tenantId: TENANT_A_ID,
  principalId: 'user-0001',
  operation: '/wemaster.core.v1.TenancyService/CreateTenant',
};

const LEASE_MS = 30_000;
const RETENTION_MS = 10 * 60_000;

/** A key no other test (nor a previous run on a shared Redis) uses. */
export const freshKey = (): string => `key-${randomUUID()}`;

const okOutcome = (body: Uint8Array): StoredOutcome => ({
  code: 0,
  body,
  message: '',
  details: undefined,
  truncated: false,
});

/** Every byte value, so any encoding slip (UTF-8, base64, escaping) shows. */
const ALL_BYTES = Uint8Array.from({ length: 512 }, (_, index) => (index * 7 + 3) % 256);

function expectNew(result: BeginResult): asserts result is Extract<BeginResult, { state: 'new' }> {
  expect(result.state).toBe('new');
}

/** What every IdempotencyStore adapter must do (see the port's doc comment). */
export function idempotencyStoreContract(name: string, make: IdempotencyStoreFactory): void {
  describe(`IdempotencyStore contract: ${name}`, () => {
    const setUp = async (options?: IdempotencyStoreFactoryOptions) => {
      const clock = new ManualClock();
      const store = await make(clock, options);
      return { clock, store };
    };
    const begin = (store: IdempotencyStore, key: string, fingerprint = 'fp-1', scope = SCOPE) =>
      store.begin({ scope, key, fingerprint, leaseMs: LEASE_MS });

    it('grants a new key with a lease, then replays the OK outcome byte for byte', async () => {
      const { clock, store } = await setUp();
      const key = freshKey();
      const first = await begin(store, key);
      expectNew(first);
      expect(first.leaseToken).not.toBe('');
      expect(first.leaseExpiresAt.getTime()).toBe(clock.now().getTime() + LEASE_MS);

      const completed = await store.complete({
        scope: SCOPE,
        key,
        leaseToken: first.leaseToken,
        outcome: okOutcome(ALL_BYTES),
        retentionMs: RETENTION_MS,
      });
      expect(completed).toBe(true);
      const retainedUntil = new Date(clock.now().getTime() + RETENTION_MS);

      clock.advance(1000);
      const replay = await begin(store, key);
      expect(replay).toEqual({
        state: 'completed',
        outcome: okOutcome(ALL_BYTES),
        expiresAt: retainedUntil,
      });
      if (replay.state !== 'completed') return;
      expect(replay.outcome.body).toBeInstanceOf(Uint8Array);
      expect(Buffer.from(replay.outcome.body ?? []).equals(Buffer.from(ALL_BYTES))).toBe(true);
      // Twice: reading does not consume it.
      expect(await begin(store, key)).toEqual(replay);
    });

    it('replays an empty OK body as empty, not as missing', async () => {
      const { store } = await setUp();
      const key = freshKey();
      const first = await begin(store, key);
      expectNew(first);
      await store.complete({
        scope: SCOPE,
        key,
        leaseToken: first.leaseToken,
        outcome: okOutcome(new Uint8Array(0)),
        retentionMs: RETENTION_MS,
      });
      const replay = await begin(store, key);
      expect(replay).toMatchObject({ state: 'completed', outcome: okOutcome(new Uint8Array(0)) });
      if (replay.state === 'completed') expect(replay.outcome.body).toBeDefined();
    });

    it('replays an error outcome: code, message and details bytes', async () => {
      const { store } = await setUp();
      const key = freshKey();
      const first = await begin(store, key);
      expectNew(first);
      const outcome: StoredOutcome = {
        code: 6,
        body: undefined,
        message: 'tenant slug "acme" is taken — déjà vu',
        details: Uint8Array.from([0, 255, 10, 13, 0x80, 1, 2, 3]),
        truncated: false,
      };
      await store.complete({
        scope: SCOPE,
        key,
        leaseToken: first.leaseToken,
        outcome,
        retentionMs: RETENTION_MS,
      });
      expect(await begin(store, key)).toMatchObject({ state: 'completed', outcome });
    });

    it('answers in_progress while the lease is live', async () => {
      const { clock, store } = await setUp();
      const key = freshKey();
      expectNew(await begin(store, key));
      expect(await begin(store, key)).toEqual({ state: 'in_progress' });
      clock.advance(LEASE_MS - 1);
      expect(await begin(store, key)).toEqual({ state: 'in_progress' });
    });

    it('answers mismatch for another fingerprint, in progress and completed', async () => {
      const { store } = await setUp();
      const key = freshKey();
      const first = await begin(store, key, 'fp-1');
      expectNew(first);
      expect(await begin(store, key, 'fp-2')).toEqual({ state: 'mismatch' });
      await store.complete({
        scope: SCOPE,
        key,
        leaseToken: first.leaseToken,
        outcome: okOutcome(Uint8Array.of(1)),
        retentionMs: RETENTION_MS,
      });
      expect(await begin(store, key, 'fp-2')).toEqual({ state: 'mismatch' });
      expect((await begin(store, key, 'fp-1')).state).toBe('completed');
    });

    it('gives exactly one of 100 simultaneous begins the key', async () => {
      const { store } = await setUp();
      const key = freshKey();
      const results = await Promise.all(Array.from({ length: 100 }, () => begin(store, key)));
      const states = results.map((result) => result.state);
      expect(states.filter((state) => state === 'new')).toHaveLength(1);
      expect(states.filter((state) => state === 'in_progress')).toHaveLength(99);
    });

    it('lets a new holder take an expired lease over and fences the old token out', async () => {
      const { clock, store } = await setUp();
      const key = freshKey();
      const first = await begin(store, key);
      expectNew(first);
      clock.advance(LEASE_MS);
      const second = await begin(store, key);
      expectNew(second);
      expect(second.leaseToken).not.toBe(first.leaseToken);

      const stale = first.leaseToken;
      expect(await store.renew(SCOPE, key, stale, LEASE_MS)).toBe(false);
      expect(
        await store.complete({
          scope: SCOPE,
          key,
          leaseToken: stale,
          outcome: okOutcome(Uint8Array.of(9)),
          retentionMs: RETENTION_MS,
        }),
      ).toBe(false);
      expect(await store.release(SCOPE, key, stale)).toBe(false);
      // The new holder is untouched by all that.
      expect(await begin(store, key)).toEqual({ state: 'in_progress' });
      expect(
        await store.complete({
          scope: SCOPE,
          key,
          leaseToken: second.leaseToken,
          outcome: okOutcome(Uint8Array.of(7)),
          retentionMs: RETENTION_MS,
        }),
      ).toBe(true);
      expect(await begin(store, key)).toMatchObject({
        state: 'completed',
        outcome: okOutcome(Uint8Array.of(7)),
      });
    });

    it('takes an expired lease over even for another fingerprint', async () => {
      const { clock, store } = await setUp();
      const key = freshKey();
      expectNew(await begin(store, key, 'fp-1'));
      clock.advance(LEASE_MS + 1);
      expectNew(await begin(store, key, 'fp-2'));
      expect(await begin(store, key, 'fp-1')).toEqual({ state: 'mismatch' });
    });

    it('refuses to act on a lapsed lease even before anyone took it over', async () => {
      const { clock, store } = await setUp();
      const key = freshKey();
      const first = await begin(store, key);
      expectNew(first);
      clock.advance(LEASE_MS);
      expect(await store.renew(SCOPE, key, first.leaseToken, LEASE_MS)).toBe(false);
      expect(
        await store.complete({
          scope: SCOPE,
          key,
          leaseToken: first.leaseToken,
          outcome: okOutcome(Uint8Array.of(1)),
          retentionMs: RETENTION_MS,
        }),
      ).toBe(false);
      expectNew(await begin(store, key));
    });

    it('extends a lease on renew', async () => {
      const { clock, store } = await setUp();
      const key = freshKey();
      const first = await begin(store, key);
      expectNew(first);
      clock.advance(LEASE_MS - 1000);
      expect(await store.renew(SCOPE, key, first.leaseToken, LEASE_MS)).toBe(true);
      clock.advance(LEASE_MS - 1);
      // Past the original lease end, inside the renewed one.
      expect(await begin(store, key)).toEqual({ state: 'in_progress' });
      expect(await store.renew(SCOPE, key, 'not-the-token', LEASE_MS)).toBe(false);
      expect(
        await store.complete({
          scope: SCOPE,
          key,
          leaseToken: first.leaseToken,
          outcome: okOutcome(Uint8Array.of(4)),
          retentionMs: RETENTION_MS,
        }),
      ).toBe(true);
      // A completed record has no lease to renew.
      expect(await store.renew(SCOPE, key, first.leaseToken, LEASE_MS)).toBe(false);
    });

    it('frees the key on release, for its holder only', async () => {
      const { store } = await setUp();
      const key = freshKey();
      const first = await begin(store, key);
      expectNew(first);
      expect(await store.release(SCOPE, key, 'not-the-token')).toBe(false);
      expect(await begin(store, key)).toEqual({ state: 'in_progress' });
      expect(await store.release(SCOPE, key, first.leaseToken)).toBe(true);
      expect(await store.release(SCOPE, key, first.leaseToken)).toBe(false);
      // Released, not remembered: another fingerprint is no mismatch.
      const next = await begin(store, key, 'fp-other');
      expectNew(next);
      expect(next.leaseToken).not.toBe(first.leaseToken);
    });

    it('does not complete twice, nor release a completed record', async () => {
      const { store } = await setUp();
      const key = freshKey();
      const first = await begin(store, key);
      expectNew(first);
      const request = {
        scope: SCOPE,
        key,
        leaseToken: first.leaseToken,
        outcome: okOutcome(Uint8Array.of(1)),
        retentionMs: RETENTION_MS,
      };
      expect(await store.complete(request)).toBe(true);
      expect(await store.complete({ ...request, outcome: okOutcome(Uint8Array.of(2)) })).toBe(
        false,
      );
      expect(await store.release(SCOPE, key, first.leaseToken)).toBe(false);
      expect(await begin(store, key)).toMatchObject({
        state: 'completed',
        outcome: okOutcome(Uint8Array.of(1)),
      });
    });

    it('forgets a completed record after its retention (judged on read)', async () => {
      const { clock, store } = await setUp();
      const key = freshKey();
      const first = await begin(store, key);
      expectNew(first);
      await store.complete({
        scope: SCOPE,
        key,
        leaseToken: first.leaseToken,
        outcome: okOutcome(Uint8Array.of(1)),
        retentionMs: RETENTION_MS,
      });
      clock.advance(RETENTION_MS - 1);
      expect((await begin(store, key)).state).toBe('completed');
      clock.advance(1);
      expectNew(await begin(store, key, 'fp-after-retention'));
    });

    it('keeps only the status of a body over maxResponseBytes', async () => {
      const { store } = await setUp({ maxResponseBytes: 16 });
      const [small, large] = [freshKey(), freshKey()];
      for (const [key, size] of [
        [small, 16],
        [large, 17],
      ] as const) {
        const first = await begin(store, key);
        expectNew(first);
        expect(
          await store.complete({
            scope: SCOPE,
            key,
            leaseToken: first.leaseToken,
            outcome: okOutcome(new Uint8Array(size).fill(0xab)),
            retentionMs: RETENTION_MS,
          }),
        ).toBe(true);
      }
      expect(await begin(store, small)).toMatchObject({
        state: 'completed',
        outcome: okOutcome(new Uint8Array(16).fill(0xab)),
      });
      expect(await begin(store, large)).toMatchObject({
        state: 'completed',
        outcome: { code: 0, body: undefined, message: '', details: undefined, truncated: true },
      });
    });

    it('never lets scopes that differ in tenant, principal or operation collide', async () => {
      const { store } = await setUp();
      const key = freshKey();
      const scopes: IdempotencyScope[] = [
        SCOPE,
        { ...SCOPE, tenantId: TENANT_B_ID },
        { ...SCOPE, principalId: 'user-0002' },
        { ...SCOPE, operation: '/wemaster.core.v1.TenancyService/UpdateTenant' },
        // Separator games: the same characters split differently.
        { ...SCOPE, principalId: 'a\nb', operation: 'c' },
        { ...SCOPE, principalId: 'a', operation: 'b\nc' },
        { ...SCOPE, principalId: 'a\\', operation: 'nb\nc' },
      ];
      const firsts = await Promise.all(scopes.map((scope) => begin(store, key, 'fp-1', scope)));
      for (const first of firsts) expectNew(first);
      const [owner] = firsts;
      if (owner?.state !== 'new') return;
      await store.complete({
        scope: SCOPE,
        key,
        leaseToken: owner.leaseToken,
        outcome: okOutcome(Uint8Array.of(1)),
        retentionMs: RETENTION_MS,
      });
      for (const scope of scopes.slice(1)) {
        expect(await begin(store, key, 'fp-1', scope)).toEqual({ state: 'in_progress' });
        expect(await begin(store, key, 'fp-2', scope)).toEqual({ state: 'mismatch' });
      }
      // A lease token is only good in its own scope.
      const other = firsts[1];
      if (other?.state !== 'new') return;
      expect(await store.release(SCOPE, key, other.leaseToken)).toBe(false);
      expect(await store.release(scopes[1] ?? SCOPE, key, other.leaseToken)).toBe(true);
    });
  });
}
