import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';

import { Argon2PasswordHasher } from '../../../src/adapters/outbound/crypto/argon2-password-hasher.js';
import { Argon2WorkerPool } from '../../../src/adapters/outbound/crypto/argon2-worker-pool.js';

const CHEAP = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

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
    await expect(closed.hash('x', CHEAP)).rejects.toThrow('closed');
  });
});
