import type { PasswordHasher } from '../../../domain/identity/password-hasher.port.js';

/**
 * Lets at most `limit` password hashes or verifications run at once; the others wait their
 * turn (first come, first served). argon2 at full cost is pure CPU on worker threads: with as
 * many running as there are cores, a login storm takes every core from the event loop and
 * every other call (token checks above all) slows down with it. Kept below the core count, a
 * storm makes logins queue instead, and the rest of the service keeps a core.
 */
export class ConcurrencyLimitedPasswordHasher implements PasswordHasher {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly inner: PasswordHasher,
    private readonly limit: number,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error('limit must be a positive integer');
  }

  hash(password: string): Promise<string> {
    return this.limited(() => this.inner.hash(password));
  }

  verify(hash: string, password: string): Promise<boolean> {
    return this.limited(() => this.inner.verify(hash, password));
  }

  needsRehash(hash: string): boolean {
    return this.inner.needsRehash(hash);
  }

  verifyDummy(password: string): Promise<void> {
    return this.limited(() => this.inner.verifyDummy(password));
  }

  private async limited<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) {
      await new Promise<void>((resolve) => {
        this.waiting.push(resolve);
      });
    } else {
      this.running++;
    }
    try {
      return await work();
    } finally {
      // The slot passes straight to the next waiter (running stays the same), or is freed.
      const next = this.waiting.shift();
      if (next === undefined) this.running--;
      else next();
    }
  }
}
