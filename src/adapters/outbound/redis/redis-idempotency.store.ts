import { createHash, randomUUID } from 'node:crypto';

import type {
  BeginRequest,
  BeginResult,
  CompleteRequest,
  IdempotencyScope,
} from '../../../domain/idempotency/idempotency-record.js';
import {
  DEFAULT_MAX_RESPONSE_BYTES,
  type IdempotencyStore,
} from '../../../domain/idempotency/idempotency-store.port.js';
import type { Clock } from '../../../domain/shared/clock.port.js';

/**
 * What the store needs of a Redis client: EVALSHA with an EVAL fallback. A node-redis v5
 * client (`createClient()` of the `redis` package) fits as is.
 */
export interface RedisScriptClient {
  evalSha(sha1: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

export interface RedisIdempotencyStoreOptions {
  /** Bodies above this many bytes are not kept (status only). */
  readonly maxResponseBytes?: number;
  /** Prepended to every key; default `wm:idem:`. */
  readonly keyPrefix?: string;
  /**
   * Added to every PEXPIRE beyond the lease or retention, so clock skew between replicas and
   * Redis never drops a record Redis-side before the clock says it ended. Default 60 s.
   */
  readonly ttlMarginMs?: number;
  /**
   * How long the store waits for a script's answer before the call fails: a Redis that stopped
   * answering must not hold requests. Default 5 s. node-redis' own command timeout does not do
   * this (it only covers a command still waiting to be written) and costs an
   * AbortSignal.timeout with listeners per command, so the service gives this store a client
   * with it switched off (`withCommandOptions({ timeout: 0 })`). A script Redis runs after its
   * call gave up is undone when it took a key (see `begin`).
   */
  readonly commandTimeoutMs?: number;
}

/** A script Redis did not answer within the store's `commandTimeoutMs`. */
export class RedisScriptTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`redis did not answer an idempotency script within ${String(timeoutMs)} ms`);
    this.name = 'RedisScriptTimeoutError';
  }
}

/*
 * One hash per (scope, key). Fields: state ('in_progress' | 'completed'), fingerprint,
 * lease_token (in progress only), expires_at (epoch ms: lease end, or retention end),
 * code, message, body and details (base64, each with a has_* flag so that absent and empty
 * differ), truncated ('1' | '0').
 * Every script judges expiry itself with the caller's clock (ARGV[1], epoch ms): the PEXPIRE
 * set on every write is only garbage collection, never the source of truth.
 */

/** KEYS[1]; ARGV: now, fingerprint, token, expiresAt, ttlMs. */
const BEGIN = `
local key = KEYS[1]
local now = tonumber(ARGV[1])
local rec = redis.call('HMGET', key, 'state', 'fingerprint', 'expires_at',
  'code', 'message', 'has_body', 'body', 'has_details', 'details', 'truncated')
if rec[1] and tonumber(rec[3]) > now then
  if rec[2] ~= ARGV[2] then return {'mismatch'} end
  if rec[1] == 'completed' then
    return {'completed', rec[4], rec[5], rec[6], rec[7], rec[8], rec[9], rec[10], rec[3]}
  end
  return {'in_progress'}
end
redis.call('DEL', key)
redis.call('HSET', key, 'state', 'in_progress', 'fingerprint', ARGV[2],
  'lease_token', ARGV[3], 'expires_at', ARGV[4])
redis.call('PEXPIRE', key, ARGV[5])
return {'new'}
`;

/** The live lease of ARGV[2] at ARGV[1] (fencing); shared head of the other scripts. */
const LEASED = `
local key = KEYS[1]
local rec = redis.call('HMGET', key, 'state', 'lease_token', 'expires_at')
if rec[1] ~= 'in_progress' or rec[2] ~= ARGV[2] or tonumber(rec[3]) <= tonumber(ARGV[1]) then
  return 0
end
`;

/** KEYS[1]; ARGV: now, token, expiresAt, ttlMs, code, message, hasBody, body, hasDetails,
 * details, truncated. */
const COMPLETE = `${LEASED}
redis.call('HDEL', key, 'lease_token')
redis.call('HSET', key, 'state', 'completed', 'expires_at', ARGV[3],
  'code', ARGV[5], 'message', ARGV[6], 'has_body', ARGV[7], 'body', ARGV[8],
  'has_details', ARGV[9], 'details', ARGV[10], 'truncated', ARGV[11])
redis.call('PEXPIRE', key, ARGV[4])
return 1
`;

/** KEYS[1]; ARGV: now, token, expiresAt, ttlMs. */
const RENEW = `${LEASED}
redis.call('HSET', key, 'expires_at', ARGV[3])
redis.call('PEXPIRE', key, ARGV[4])
return 1
`;

/** KEYS[1]; ARGV: now, token. */
const RELEASE = `${LEASED}
redis.call('DEL', key)
return 1
`;

interface Script {
  readonly source: string;
  readonly sha1: string;
}

const script = (source: string): Script => ({
  source,
  sha1: createHash('sha1').update(source).digest('hex'),
});

const SCRIPTS = {
  begin: script(BEGIN),
  complete: script(COMPLETE),
  renew: script(RENEW),
  release: script(RELEASE),
} as const;

const base64 = (bytes: Uint8Array | undefined): string =>
  bytes === undefined
    ? ''
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

const fromBase64 = (flag: unknown, text: unknown): Uint8Array | undefined =>
  flag === '1'
    ? new Uint8Array(Buffer.from(typeof text === 'string' ? text : '', 'base64'))
    : undefined;

/**
 * `\` -> `\\` and newline -> `\n`, so the newline-joined digest input is unambiguous
 * (keys are printable ASCII; principal ids and operations could hold a newline). Ids without
 * either character, i.e. all real ones, hash exactly as written.
 */
const escapeNewlines = (text: string): string =>
  text.replace(/[\\\n]/g, (char) => (char === '\n' ? '\\n' : '\\\\'));

/**
 * The idempotency ledger in Redis: one hash per (tenant, principal, operation, key) at
 * `<prefix>{<tenantId>}:<sha256 hex of principalId "\n" operation "\n" key>` (hash-tagged by
 * tenant for Redis Cluster; the hash keeps caller-chosen strings out of key names). Every state
 * change is one Lua script, atomic per key, judging expiry with the store's clock. Release
 * deletes the key when the token still holds its lease.
 */
export class RedisIdempotencyStore implements IdempotencyStore {
  private readonly maxResponseBytes: number;
  private readonly keyPrefix: string;
  private readonly ttlMarginMs: number;
  private readonly commandTimeoutMs: number;

  constructor(
    private readonly client: RedisScriptClient,
    private readonly clock: Clock,
    options: RedisIdempotencyStoreOptions = {},
  ) {
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.keyPrefix = options.keyPrefix ?? 'wm:idem:';
    this.ttlMarginMs = options.ttlMarginMs ?? 60_000;
    this.commandTimeoutMs = options.commandTimeoutMs ?? 5_000;
  }

  /** The Redis key of one (scope, key). */
  keyOf(scope: IdempotencyScope, key: string): string {
    const digest = createHash('sha256')
      .update(`${escapeNewlines(scope.principalId)}\n${escapeNewlines(scope.operation)}\n${key}`)
      .digest('hex');
    return `${this.keyPrefix}{${scope.tenantId}}:${digest}`;
  }

  async begin(request: BeginRequest): Promise<BeginResult> {
    const now = this.clock.now().getTime();
    const leaseToken = randomUUID();
    const expiresAt = now + request.leaseMs;
    const reply = await this.run(
      SCRIPTS.begin,
      this.keyOf(request.scope, request.key),
      [
        String(now),
        request.fingerprint,
        leaseToken,
        String(expiresAt),
        String(this.ttl(request.leaseMs)),
      ],
      // Taken after the call gave up on the answer: nobody holds this lease, so free the key
      // instead of leaving retries IN_PROGRESS until the lease ends.
      (late) => {
        if (Array.isArray(late) && late[0] === 'new') {
          this.release(request.scope, request.key, leaseToken).catch(() => false);
        }
      },
    );
    if (!Array.isArray(reply)) throw new Error('idempotency begin: unexpected Redis reply');
    const values: unknown[] = reply;
    switch (values[0]) {
      case 'new':
        return { state: 'new', leaseToken, leaseExpiresAt: new Date(expiresAt) };
      case 'in_progress':
        return { state: 'in_progress' };
      case 'mismatch':
        return { state: 'mismatch' };
      case 'completed': {
        const [, code, message, hasBody, body, hasDetails, details, truncated, expiresAt] = values;
        return {
          state: 'completed',
          expiresAt: new Date(Number(expiresAt)),
          outcome: {
            code: Number(code),
            message: typeof message === 'string' ? message : '',
            body: fromBase64(hasBody, body),
            details: fromBase64(hasDetails, details),
            truncated: truncated === '1',
          },
        };
      }
      default:
        throw new Error('idempotency begin: unexpected Redis reply');
    }
  }

  async complete(request: CompleteRequest): Promise<boolean> {
    const { outcome } = request;
    const truncated =
      outcome.truncated ||
      (outcome.body !== undefined && outcome.body.byteLength > this.maxResponseBytes);
    const body = truncated ? undefined : outcome.body;
    const now = this.clock.now().getTime();
    const reply = await this.run(SCRIPTS.complete, this.keyOf(request.scope, request.key), [
      String(now),
      request.leaseToken,
      String(now + request.retentionMs),
      String(this.ttl(request.retentionMs)),
      String(outcome.code),
      outcome.message,
      body === undefined ? '0' : '1',
      base64(body),
      outcome.details === undefined ? '0' : '1',
      base64(outcome.details),
      truncated ? '1' : '0',
    ]);
    return reply === 1;
  }

  async release(scope: IdempotencyScope, key: string, leaseToken: string): Promise<boolean> {
    const now = this.clock.now().getTime();
    const reply = await this.run(SCRIPTS.release, this.keyOf(scope, key), [
      String(now),
      leaseToken,
    ]);
    return reply === 1;
  }

  async renew(
    scope: IdempotencyScope,
    key: string,
    leaseToken: string,
    leaseMs: number,
  ): Promise<boolean> {
    const now = this.clock.now().getTime();
    const reply = await this.run(SCRIPTS.renew, this.keyOf(scope, key), [
      String(now),
      leaseToken,
      String(now + leaseMs),
      String(this.ttl(leaseMs)),
    ]);
    return reply === 1;
  }

  private ttl(ms: number): number {
    return Math.max(1, Math.ceil(ms)) + this.ttlMarginMs;
  }

  /**
   * EVALSHA, falling back to EVAL (which caches the script) when Redis does not have it, bounded
   * by `commandTimeoutMs`. An answer that comes after that goes to `late`.
   */
  private run(
    script: Script,
    key: string,
    args: string[],
    late?: (reply: unknown) => void,
  ): Promise<unknown> {
    const options = { keys: [key], arguments: args };
    let timedOut = false;
    const answer = this.client.evalSha(script.sha1, options).catch((error: unknown) => {
      // A call that gave up sends nothing more.
      if (timedOut || !(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) {
        throw error;
      }
      return this.client.eval(script.source, options);
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        timedOut = true;
        reject(new RedisScriptTimeoutError(this.commandTimeoutMs));
      }, this.commandTimeoutMs);
      // A stalled Redis must not keep a stopping process alive for its sake.
      timer.unref();
      answer.then(
        (reply) => {
          clearTimeout(timer);
          if (timedOut) late?.(reply);
          else resolve(reply);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }
}
