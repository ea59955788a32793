import { randomBytes } from 'node:crypto';

import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';

import { ReplayCachingIdempotencyStore } from '../../src/adapters/outbound/memory/replay-caching-idempotency-store.js';
import {
  RedisIdempotencyStore,
  RedisScriptTimeoutError,
} from '../../src/adapters/outbound/redis/redis-idempotency.store.js';
import { TENANT_A_ID } from '../mothers/tenant.mother.js';
import '../support/provided-context.js';
import {
  freshKey,
  idempotencyStoreContract,
  ManualClock,
  SCOPE,
} from './idempotency-store.contract.js';

const available = inject('redisAvailable');
/** Per run, so parallel runs on one Redis never meet. */
const PREFIX = `test:idem:${randomBytes(4).toString('hex')}:`;

describe.skipIf(!available)('RedisIdempotencyStore', () => {
  let client: ReturnType<typeof createClient>;

  beforeAll(async () => {
    client = createClient({ url: inject('redisUrl') });
    await client.connect();
  });
  afterAll(() => {
    client.destroy();
  });

  idempotencyStoreContract(
    'redis',
    (clock, options) => new RedisIdempotencyStore(client, clock, { ...options, keyPrefix: PREFIX }),
  );

  idempotencyStoreContract(
    'redis behind the in-process replay cache',
    (clock, options) =>
      new ReplayCachingIdempotencyStore(
        new RedisIdempotencyStore(client, clock, { ...options, keyPrefix: PREFIX }),
        clock,
      ),
  );

  describe('key layout', () => {
    it('keeps one hash per scope and key, hash-tagged by tenant, with a TTL', async () => {
      const clock = new ManualClock();
      const store = new RedisIdempotencyStore(client, clock, { keyPrefix: PREFIX });
      const key = freshKey();
      const redisKey = store.keyOf(SCOPE, key);
      expect(redisKey).toMatch(new RegExp(`^${PREFIX}\\{${TENANT_A_ID}\\}:[0-9a-f]{64}$`));

      const first = await store.begin({ scope: SCOPE, key, fingerprint: 'fp', leaseMs: 5000 });
      if (first.state !== 'new') throw new Error('expected a new key');
      expect(await client.type(redisKey)).toBe('hash');
      const ttl = await client.pTTL(redisKey);
      expect(ttl).toBeGreaterThan(5000);
      expect(ttl).toBeLessThanOrEqual(5000 + 60_000);

      expect(await store.release(SCOPE, key, first.leaseToken)).toBe(true);
      expect(await client.exists(redisKey)).toBe(0);
    });

    it('falls back to EVAL when Redis does not know a script (NOSCRIPT)', async () => {
      let evals = 0;
      const forgetful = {
        evalSha: () => Promise.reject(new Error('NOSCRIPT No matching script.')),
        eval: (script: string, options: { keys: string[]; arguments: string[] }) => {
          evals++;
          return client.eval(script, options);
        },
      };
      const store = new RedisIdempotencyStore(forgetful, new ManualClock(), { keyPrefix: PREFIX });
      const result = await store.begin({
        scope: SCOPE,
        key: freshKey(),
        fingerprint: 'fp',
        leaseMs: 5000,
      });
      expect(result.state).toBe('new');
      expect(evals).toBe(1);
    });

    it('fails a script Redis does not answer in time, frees a key the late script took, and works once Redis answers again', async () => {
      // As the service wires it: node-redis' command timeout off, the store's timer on.
      const untimed = client.withCommandOptions({ timeout: 0 });
      const store = new RedisIdempotencyStore(untimed, new ManualClock(), {
        keyPrefix: PREFIX,
        commandTimeoutMs: 50,
      });
      const key = freshKey();
      const begin = () => store.begin({ scope: SCOPE, key, fingerprint: 'fp', leaseMs: 5000 });
      // Redis holds every client's commands for 400 ms.
      await client.sendCommand(['CLIENT', 'PAUSE', '400', 'ALL']);
      const started = Date.now();
      await expect(begin()).rejects.toBeInstanceOf(RedisScriptTimeoutError);
      expect(Date.now() - started).toBeLessThan(400);
      await client.sendCommand(['CLIENT', 'UNPAUSE']);
      // The late script took the key for a lease nobody holds: it is freed, so the retry is new
      // (not IDEMPOTENCY_IN_PROGRESS until the lease ends).
      await vi.waitFor(async () => {
        expect((await begin()).state).toBe('new');
      });
    });
  });
});
