import { describe, expect, it } from 'vitest';

import { ConcurrencyLimitedPasswordHasher } from '../../../src/adapters/outbound/crypto/concurrency-limited-password-hasher.js';
import type { PasswordHasher } from '../../../src/domain/identity/password-hasher.port.js';

function slowHasher() {
  let running = 0;
  let peak = 0;
  const order: string[] = [];
  const slow = async <T>(label: string, value: T): Promise<T> => {
    running++;
    peak = Math.max(peak, running);
    order.push(label);
    await new Promise((resolve) => setTimeout(resolve, 5));
    running--;
    return value;
  };
  const hasher: PasswordHasher = {
    hash: (password) => slow(`hash:${password}`, `h(${password})`),
    verify: (hash, password) => slow(`verify:${password}`, hash === `h(${password})`),
    needsRehash: () => false,
    verifyDummy: (password) => slow(`dummy:${password}`, undefined),
  };
  return { hasher, peak: () => peak, order };
}

describe('ConcurrencyLimitedPasswordHasher', () => {
  it('never runs more than the limit at once, in arrival order, and every call completes', async () => {
    const inner = slowHasher();
    const limited = new ConcurrencyLimitedPasswordHasher(inner.hasher, 2);
    const results = await Promise.all([
      limited.hash('a'),
      limited.verify('h(b)', 'b'),
      limited.verifyDummy('c'),
      limited.verify('h(x)', 'd'),
      limited.hash('e'),
    ]);
    expect(results).toEqual(['h(a)', true, undefined, false, 'h(e)']);
    expect(inner.peak()).toBe(2);
    expect(inner.order).toEqual(['hash:a', 'verify:b', 'dummy:c', 'verify:d', 'hash:e']);
  });

  it('frees the slot when a call fails', async () => {
    const failing: PasswordHasher = {
      hash: () => Promise.reject(new Error('out of memory')),
      verify: () => Promise.resolve(true),
      needsRehash: () => false,
      verifyDummy: () => Promise.resolve(),
    };
    const limited = new ConcurrencyLimitedPasswordHasher(failing, 1);
    await expect(limited.hash('a')).rejects.toThrow('out of memory');
    expect(await limited.verify('h', 'p')).toBe(true);
  });
});
