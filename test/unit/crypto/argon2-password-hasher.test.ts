import { describe, expect, it } from 'vitest';
import {
  Argon2PasswordHasher,
  OWASP_ARGON2ID_PARAMETERS,
  type Argon2Parameters,
} from '../../../src/adapters/outbound/crypto/argon2-password-hasher.js';
import { passwordHasherUnavailable } from '../../../src/domain/identity/password-hasher.port.js';

const CHEAP: Argon2Parameters = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

describe('Argon2PasswordHasher', () => {
  const hasher = new Argon2PasswordHasher(CHEAP);

  it('defaults to the OWASP argon2id parameters', async () => {
    const hash = await new Argon2PasswordHasher().hash('correct horse');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(OWASP_ARGON2ID_PARAMETERS).toEqual({ memoryCost: 19456, timeCost: 2, parallelism: 1 });
  });

  it('hashes with argon2id and the given parameters, salted', async () => {
    const a = await hasher.hash('s3cret pässword');
    const b = await hasher.hash('s3cret pässword');
    expect(a).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
    expect(a).not.toBe(b);
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const hash = await hasher.hash('s3cret pässword');
    await expect(hasher.verify(hash, 's3cret pässword')).resolves.toBe(true);
    await expect(hasher.verify(hash, 's3cret password')).resolves.toBe(false);
    await expect(hasher.verify(hash, '')).resolves.toBe(false);
  });

  it('returns false, never throws, for malformed hashes', async () => {
    const good = await hasher.hash('pw');
    const malformed = [
      '',
      'plain',
      '$argon2id$',
      '$argon2id$v=19$m=1024,t=1,p=1$',
      '$argon2id$v=19$m=1024,t=1,p=1$c2FsdA$',
      '$argon2id$v=19$m=abc,t=1,p=1$c2FsdHNhbHQ$aGFzaA',
      '$bcrypt$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaA',
      '$2b$10$abcdefghijklmnopqrstuuJ0y1bZ4aN0b9xY8wzYpQ9vYzR4T0Z1e',
      '$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaA', // well-formed, too-short output
      good.slice(0, -5),
      `${good}x`,
      good.replace('$v=19$', '$v=99$'),
      '\u0000'.repeat(100),
    ];
    for (const hash of malformed) {
      await expect(hasher.verify(hash, 'pw'), JSON.stringify(hash)).resolves.toBe(false);
    }
  });

  it('asks for a rehash when algorithm, version or parameters differ', async () => {
    const hash = await hasher.hash('pw');
    expect(hasher.needsRehash(hash)).toBe(false);
    expect(new Argon2PasswordHasher({ ...CHEAP, memoryCost: 2048 }).needsRehash(hash)).toBe(true);
    expect(new Argon2PasswordHasher({ ...CHEAP, timeCost: 2 }).needsRehash(hash)).toBe(true);
    expect(new Argon2PasswordHasher({ ...CHEAP, parallelism: 2 }).needsRehash(hash)).toBe(true);
    expect(hasher.needsRehash(hash.replace('$argon2id$', '$argon2i$'))).toBe(true);
    expect(hasher.needsRehash(hash.replace('$v=19$', '$v=16$'))).toBe(true);
    expect(hasher.needsRehash('not a hash')).toBe(true);
  });

  it('verifyDummy runs a real verification and resolves', async () => {
    await expect(hasher.verifyDummy('anything')).resolves.toBeUndefined();
    await expect(hasher.verifyDummy('')).resolves.toBeUndefined();
  });

  it('verifyDummy costs about as much as a wrong-password verify', async () => {
    const slow = new Argon2PasswordHasher({ memoryCost: 8192, timeCost: 3, parallelism: 1 });
    const hash = await slow.hash('pw');
    await slow.verifyDummy('warm-up'); // computes the dummy hash once
    const time = async (f: () => Promise<unknown>): Promise<number> => {
      const start = performance.now();
      for (let i = 0; i < 5; i += 1) await f();
      return performance.now() - start;
    };
    const wrong = await time(() => slow.verify(hash, 'nope'));
    const dummy = await time(() => slow.verifyDummy('nope'));
    expect(dummy).toBeGreaterThan(wrong * 0.25);
    expect(dummy).toBeLessThan(wrong * 4);
  });

  it('refuses nonsensical parameters', () => {
    expect(
      () => new Argon2PasswordHasher({ memoryCost: 0, timeCost: 1, parallelism: 1 }),
    ).toThrow();
    expect(
      () => new Argon2PasswordHasher({ memoryCost: 1024, timeCost: 0, parallelism: 1 }),
    ).toThrow();
  });

  it('false when argon2 refuses the hash; a backend that cannot answer throws unavailable', async () => {
    const hash = await hasher.hash('s3cret pässword');
    const refusing = new Argon2PasswordHasher(CHEAP, {
      hash: () => Promise.reject(new Error('unused')),
      verify: () => Promise.reject(new Error('invalid hash')),
    });
    await expect(refusing.verify(hash, 's3cret pässword')).resolves.toBe(false);
    const down = new Argon2PasswordHasher(CHEAP, {
      hash: () => Promise.reject(passwordHasherUnavailable()),
      verify: () => Promise.reject(passwordHasherUnavailable()),
    });
    await expect(down.verify(hash, 's3cret pässword')).rejects.toMatchObject({
      category: 'unavailable',
      code: 'PASSWORD_HASHER_UNAVAILABLE',
    });
  });
});
