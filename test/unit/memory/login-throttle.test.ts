import { describe, expect, it } from 'vitest';

import { inMemoryLoginThrottle } from '../../../src/adapters/outbound/memory/in-memory-login-throttle.js';
import {
  RateLimiterLoginThrottle,
  type LoginLimiters,
} from '../../../src/adapters/outbound/shared/rate-limiter-login-throttle.js';
import type { LoginAttempt } from '../../../src/domain/identity/login-throttle.port.js';

const RULES = { maxFailures: 3, lockSeconds: 60, maxFailuresPerIp: 10, ipWindowSeconds: 60 };
const ada: LoginAttempt = { tenantSlug: 'acme', email: 'ada@example.com', ip: '203.0.113.7' };

const throttledFor = async (promise: Promise<unknown>): Promise<number> => {
  try {
    await promise;
  } catch (error) {
    expect(error).toMatchObject({
      category: 'resource_exhausted',
      code: 'TOO_MANY_LOGIN_ATTEMPTS',
    });
    return Number((error as { metadata: Record<string, string> }).metadata.retryAfterMs);
  }
  throw new Error('expected the attempt to be throttled');
};

const fail = async (
  throttle: ReturnType<typeof inMemoryLoginThrottle>,
  attempt: LoginAttempt,
  times: number,
): Promise<boolean[]> => {
  const locked: boolean[] = [];
  for (let i = 0; i < times; i += 1) locked.push((await throttle.recordFailure(attempt)).locked);
  return locked;
};

describe('RateLimiterLoginThrottle (memory)', () => {
  it('lets attempts through below the limit', async () => {
    const throttle = inMemoryLoginThrottle(RULES);
    await throttle.check(ada);
    expect(await fail(throttle, ada, 2)).toEqual([false, false]);
    await throttle.check(ada);
  });

  it('locks the account at exactly maxFailures consecutive failures, for lockSeconds', async () => {
    const throttle = inMemoryLoginThrottle(RULES);
    expect(await fail(throttle, ada, 3)).toEqual([false, false, true]);
    const retryAfterMs = await throttledFor(throttle.check(ada));
    expect(retryAfterMs).toBeGreaterThan(55_000);
    expect(retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  it('counts per (tenant, email): other emails, other tenants and other ips are unaffected', async () => {
    const throttle = inMemoryLoginThrottle(RULES);
    await fail(throttle, ada, 3);
    await throttle.check({ ...ada, email: 'grace@example.com' });
    await throttle.check({ ...ada, tenantSlug: 'globex' });
    // The lock is the account's, whatever the ip.
    await throttledFor(throttle.check({ ...ada, ip: '198.51.100.1' }));
    await throttledFor(throttle.check({ ...ada, ip: undefined }));
  });

  it('a success clears the consecutive failures', async () => {
    const throttle = inMemoryLoginThrottle(RULES);
    await fail(throttle, ada, 2);
    await throttle.recordSuccess(ada);
    expect(await fail(throttle, ada, 2)).toEqual([false, false]);
    await throttle.check(ada);
  });

  it('caps failures per source ip across accounts', async () => {
    const throttle = inMemoryLoginThrottle({ ...RULES, maxFailuresPerIp: 4 });
    for (const email of ['a@x.io', 'b@x.io', 'c@x.io', 'd@x.io']) {
      await throttle.recordFailure({ ...ada, email });
    }
    const retryAfterMs = await throttledFor(throttle.check({ ...ada, email: 'e@x.io' }));
    expect(retryAfterMs).toBeGreaterThan(0);
    // Another ip is not affected, and neither is an attempt with no known ip.
    await throttle.check({ ...ada, email: 'e@x.io', ip: '198.51.100.1' });
    await throttle.check({ ...ada, email: 'e@x.io', ip: undefined });
  });
});

describe('RateLimiterLoginThrottle over a failing store', () => {
  it('fails closed with LOGIN_THROTTLE_UNAVAILABLE', async () => {
    const down = (): Promise<never> => Promise.reject(new Error('connection refused'));
    const limiter = { get: down, penalty: down, block: down, delete: down };
    const throttle = new RateLimiterLoginThrottle(
      { byAccount: limiter, byIp: limiter } as unknown as LoginLimiters,
      RULES,
    );
    for (const step of [
      () => throttle.check(ada),
      () => throttle.recordFailure(ada),
      () => throttle.recordSuccess(ada),
    ]) {
      await expect(step()).rejects.toMatchObject({
        category: 'unavailable',
        code: 'LOGIN_THROTTLE_UNAVAILABLE',
      });
    }
  });
});
