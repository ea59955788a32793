import { randomBytes } from 'node:crypto';
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import type { PasswordHasher } from '../../../domain/identity/password-hasher.port.js';
import { isDomainError } from '../../../domain/shared/errors.js';
import type { Argon2Backend } from './argon2-worker-pool.js';

export interface Argon2Parameters {
  /** Memory cost in KiB (`m=` in the PHC string). */
  readonly memoryCost: number;
  /** Number of passes (`t=`). */
  readonly timeCost: number;
  /** Lanes (`p=`). */
  readonly parallelism: number;
}

/** OWASP Password Storage Cheat Sheet minimum for argon2id. */
export const OWASP_ARGON2ID_PARAMETERS: Argon2Parameters = Object.freeze({
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
});

const ARGON2_VERSION = 19;

/** `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>` (unpadded standard base64). */
const PHC =
  /^\$(argon2id|argon2i|argon2d)\$v=(\d{1,3})\$m=(\d{1,10}),t=(\d{1,10}),p=(\d{1,3})\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

interface ParsedPhc {
  readonly algorithm: string;
  readonly version: number;
  readonly memoryCost: number;
  readonly timeCost: number;
  readonly parallelism: number;
}

function parsePhc(hash: string): ParsedPhc | undefined {
  const m = PHC.exec(hash);
  if (m === null) return undefined;
  const [, algorithm, version, memoryCost, timeCost, parallelism] = m;
  if (
    algorithm === undefined ||
    version === undefined ||
    memoryCost === undefined ||
    timeCost === undefined ||
    parallelism === undefined
  ) {
    return undefined;
  }
  return {
    algorithm,
    version: Number(version),
    memoryCost: Number(memoryCost),
    timeCost: Number(timeCost),
    parallelism: Number(parallelism),
  };
}

function assertParameters(p: Argon2Parameters): void {
  const ok =
    Number.isInteger(p.memoryCost) &&
    Number.isInteger(p.timeCost) &&
    Number.isInteger(p.parallelism) &&
    p.timeCost >= 1 &&
    p.parallelism >= 1 &&
    p.parallelism <= 255 &&
    p.memoryCost >= 8 * p.parallelism;
  if (!ok) throw new Error('invalid argon2 parameters');
}

/** `@node-rs/argon2`'s async functions: libuv worker threads, at the process's priority. */
const IN_PROCESS: Argon2Backend = {
  hash: (password, options) => argon2Hash(password, { ...options }),
  verify: (hash, password) => argon2Verify(hash, password),
};

/**
 * argon2id through `@node-rs/argon2`, always off the event loop: on libuv worker threads by
 * default, or on the given backend (e.g. `Argon2WorkerPool`'s low-priority threads).
 */
export class Argon2PasswordHasher implements PasswordHasher {
  private readonly parameters: Argon2Parameters;
  private dummyHash: Promise<string> | undefined;

  constructor(
    parameters: Argon2Parameters = OWASP_ARGON2ID_PARAMETERS,
    private readonly backend: Argon2Backend = IN_PROCESS,
  ) {
    assertParameters(parameters);
    this.parameters = Object.freeze({ ...parameters });
  }

  hash(password: string): Promise<string> {
    // The library's default algorithm is argon2id (its `Algorithm` is an ambient const enum,
    // which isolatedModules cannot reference); the unit test pins the `$argon2id$` prefix.
    return this.backend.hash(password, {
      memoryCost: this.parameters.memoryCost,
      timeCost: this.parameters.timeCost,
      parallelism: this.parameters.parallelism,
    });
  }

  /**
   * False for a wrong password and for anything that is not a well-formed argon2 hash (argon2
   * itself refuses it). A backend that gave no answer (`unavailable`: a worker died, stalled or
   * was shut down) is no verdict on the password: that error is thrown as is.
   */
  async verify(hash: string, password: string): Promise<boolean> {
    if (parsePhc(hash) === undefined) return false;
    try {
      return await this.backend.verify(hash, password);
    } catch (error) {
      if (isDomainError(error)) throw error;
      return false;
    }
  }

  needsRehash(hash: string): boolean {
    const parsed = parsePhc(hash);
    if (parsed === undefined) return true;
    return (
      parsed.algorithm !== 'argon2id' ||
      parsed.version !== ARGON2_VERSION ||
      parsed.memoryCost !== this.parameters.memoryCost ||
      parsed.timeCost !== this.parameters.timeCost ||
      parsed.parallelism !== this.parameters.parallelism
    );
  }

  async verifyDummy(password: string): Promise<void> {
    await this.verify(await this.getDummyHash(), password);
  }

  /** Hash of a random password under the current parameters, computed once on first use. */
  private getDummyHash(): Promise<string> {
    if (this.dummyHash === undefined) {
      const pending = this.hash(randomBytes(32).toString('base64url'));
      this.dummyHash = pending;
      // A failed computation is retried on the next call instead of being cached.
      pending.catch(() => {
        if (this.dummyHash === pending) this.dummyHash = undefined;
      });
    }
    return this.dummyHash;
  }
}
