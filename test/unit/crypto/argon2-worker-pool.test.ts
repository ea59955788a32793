import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';

import { Argon2PasswordHasher } from '../../../src/adapters/outbound/crypto/argon2-password-hasher.js';
import { Argon2WorkerPool } from '../../../src/adapters/outbound/crypto/argon2-worker-pool.js';

const CHEAP = { memoryCost: 1024, timeCost: 1, parallelism: 1 };
/** A job that surely still runs when the test ends its worker (a cheap one may finish first). */
const SLOW = { memoryCost: 32_768, timeCost: 4, parallelism: 1 };

/** Nice values of this process's threads (Linux), field 19 of /proc/self/task/<tid>/stat. */
function threadNiceValues(): number[] {
  return readdirSync('/proc/self/task').map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[16]);
  });
}

describe('Argon2WorkerPool', () => {
  const pool = new Argon2WorkerPool(2, 7);
  const hasher = new Argon2PasswordHasher(CHEAP, pool);
  afterAll(async () => {
    await pool.close();
  });

  it('hashes and verifies on its worker threads, like the in-process backend', async () => {
    const hashes = await Promise.all(['a', 'b', 'c'].map((p) => hasher.hash(`pässword ${p}`)));
    for (const hash of hashes) expect(hash).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
    expect(await hasher.verify(hashes[1]!, 'pässword b')).toBe(true);
    expect(await hasher.verify(hashes[1]!, 'pässword a')).toBe(false);
    // Hashes made here verify in process and the other way round.
    expect(await new Argon2PasswordHasher(CHEAP).verify(hashes[0]!, 'pässword a')).toBe(true);
    const local = await new Argon2PasswordHasher(CHEAP).hash('x');
    expect(await hasher.verify(local, 'x')).toBe(true);
  });

  it('runs its workers at the lower priority it was given (Linux)', () => {
    expect(threadNiceValues()).toContain(7);
    expect(threadNiceValues()).toContain(0);
  });

  it('answers false for a malformed hash and refuses work once closed', async () => {
    expect(await hasher.verify('$argon2id$v=19$m=1024,t=1,p=1$AAAA$AAAA', 'x')).toBe(false);
    const closed = new Argon2WorkerPool(1, 0);
    await closed.close();
    await expect(closed.hash('x', CHEAP)).rejects.toMatchObject({
      category: 'unavailable',
      code: 'PASSWORD_HASHER_UNAVAILABLE',
    });
  });

  it('a worker terminated mid-verify fails the job as unavailable, never as a wrong password', async () => {
    const single = new Argon2WorkerPool(1, 0);
    const own = new Argon2PasswordHasher(SLOW, single);
    try {
      const stored = await own.hash('right password');
      expect(await own.verify(stored, 'right password')).toBe(true);
      const verdict = own.verify(stored, 'right password');
      // The worker crashes (OOM, native fault) or is shut down while the job runs.
      await workerOf(single, 0).terminate();
      await expect(verdict).rejects.toMatchObject({
        category: 'unavailable',
        code: 'PASSWORD_HASHER_UNAVAILABLE',
      });
      // The dead worker is replaced on the next job.
      expect(await own.verify(stored, 'right password')).toBe(true);
    } finally {
      await single.close();
    }
  });

  it('shutting the pool down mid-verify fails the job as unavailable', async () => {
    const single = new Argon2WorkerPool(1, 0);
    const own = new Argon2PasswordHasher(SLOW, single);
    const stored = await own.hash('right password');
    const verdict = own.verify(stored, 'right password');
    await single.close();
    await expect(verdict).rejects.toMatchObject({ code: 'PASSWORD_HASHER_UNAVAILABLE' });
  });

  it('a stalled job settles after the job timeout; its worker is replaced', async () => {
    // The timeout also bounds the replacement worker's first job, thread start included: wide
    // enough for a busy machine, far below the stalled job's minutes.
    const single = new Argon2WorkerPool(1, 0, 1_500);
    try {
      // A job far beyond the timeout (64 MiB, 1000 passes) stands for a stalled worker.
      const started = Date.now();
      const stalled = single.hash('x', { memoryCost: 65_536, timeCost: 1000, parallelism: 1 });
      const first = workerOf(single, 0);
      await expect(stalled).rejects.toMatchObject({ code: 'PASSWORD_HASHER_UNAVAILABLE' });
      expect(Date.now() - started).toBeLessThan(5_000);
      const hash = await single.hash('y', CHEAP);
      expect(hash).toMatch(/^\$argon2id\$/);
      expect(workerOf(single, 0)).not.toBe(first);
    } finally {
      await single.close();
    }
  });
});

/** The worker thread in the pool's slot `index` (white-box: to kill or compare it). */
function workerOf(pool: Argon2WorkerPool, index: number): { terminate(): Promise<number> } {
  const slots = (
    pool as unknown as { slots: ({ worker: { terminate(): Promise<number> } } | undefined)[] }
  ).slots;
  const slot = slots[index];
  if (slot === undefined) throw new Error(`no worker in slot ${String(index)}`);
  return slot.worker;
}
