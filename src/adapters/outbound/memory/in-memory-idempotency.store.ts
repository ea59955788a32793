import { randomUUID } from 'node:crypto';

import type {
  BeginRequest,
  BeginResult,
  CompleteRequest,
  IdempotencyScope,
  StoredOutcome,
} from '../../../domain/idempotency/idempotency-record.js';
import {
  DEFAULT_MAX_RESPONSE_BYTES,
  type IdempotencyStore,
} from '../../../domain/idempotency/idempotency-store.port.js';
import type { Clock } from '../../../domain/shared/clock.port.js';

export interface InMemoryIdempotencyStoreOptions {
  /** Bodies above this many bytes are not kept (status only). */
  readonly maxResponseBytes?: number;
  /** Starts every lease token this store issues. */
  readonly leaseTokenPrefix?: string;
}

interface Entry {
  readonly fingerprint: string;
  readonly state: 'in_progress' | 'completed';
  /** Set while in progress. */
  readonly leaseToken: string | undefined;
  /** Lease end while in progress, end of retention once completed (epoch ms). */
  readonly expiresAt: number;
  readonly outcome: StoredOutcome | undefined;
}

const SWEEP_EVERY = 1024;

const copyBytes = (bytes: Uint8Array | undefined): Uint8Array | undefined =>
  bytes === undefined ? undefined : new Uint8Array(bytes);

const copyOutcome = (outcome: StoredOutcome): StoredOutcome => ({
  code: outcome.code,
  body: copyBytes(outcome.body),
  message: outcome.message,
  details: copyBytes(outcome.details),
  truncated: outcome.truncated,
});

/**
 * The idempotency ledger in one process (same semantics as `PgIdempotencyStore` and
 * `RedisIdempotencyStore`): expiry judged on read with the clock, fencing by lease token,
 * bodies over the size limit dropped. Expired entries are replaced on the next begin of their
 * key and swept every so many begins; nothing runs in the background.
 */
export class InMemoryIdempotencyStore implements IdempotencyStore {
  private readonly entries = new Map<string, Entry>();
  private readonly leaseTokenPrefix: string;
  private readonly maxResponseBytes: number;
  private beginsSinceSweep = 0;

  constructor(
    private readonly clock: Clock,
    options: InMemoryIdempotencyStoreOptions = {},
  ) {
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.leaseTokenPrefix = options.leaseTokenPrefix ?? '';
  }

  begin(request: BeginRequest): Promise<BeginResult> {
    const id = entryId(request.scope, request.key);
    const now = this.clock.now().getTime();
    this.sweepSometimes(now);
    const entry = this.entries.get(id);
    if (entry !== undefined && entry.expiresAt > now) {
      if (entry.fingerprint !== request.fingerprint) return Promise.resolve({ state: 'mismatch' });
      if (entry.state === 'completed' && entry.outcome !== undefined) {
        return Promise.resolve({
          state: 'completed',
          outcome: copyOutcome(entry.outcome),
          expiresAt: new Date(entry.expiresAt),
        });
      }
      return Promise.resolve({ state: 'in_progress' });
    }
    const leaseToken = `${this.leaseTokenPrefix}${randomUUID()}`;
    const expiresAt = now + request.leaseMs;
    this.entries.set(id, {
      fingerprint: request.fingerprint,
      state: 'in_progress',
      leaseToken,
      expiresAt,
      outcome: undefined,
    });
    return Promise.resolve({ state: 'new', leaseToken, leaseExpiresAt: new Date(expiresAt) });
  }

  complete(request: CompleteRequest): Promise<boolean> {
    const id = entryId(request.scope, request.key);
    const entry = this.leased(id, request.leaseToken);
    if (entry === undefined) return Promise.resolve(false);
    const { outcome } = request;
    const truncated =
      outcome.truncated ||
      (outcome.body !== undefined && outcome.body.byteLength > this.maxResponseBytes);
    this.entries.set(id, {
      fingerprint: entry.fingerprint,
      state: 'completed',
      leaseToken: undefined,
      expiresAt: this.clock.now().getTime() + request.retentionMs,
      outcome: {
        code: outcome.code,
        body: truncated ? undefined : copyBytes(outcome.body),
        message: outcome.message,
        details: copyBytes(outcome.details),
        truncated,
      },
    });
    return Promise.resolve(true);
  }

  release(scope: IdempotencyScope, key: string, leaseToken: string): Promise<boolean> {
    const id = entryId(scope, key);
    if (this.leased(id, leaseToken) === undefined) return Promise.resolve(false);
    this.entries.delete(id);
    return Promise.resolve(true);
  }

  renew(
    scope: IdempotencyScope,
    key: string,
    leaseToken: string,
    leaseMs: number,
  ): Promise<boolean> {
    const id = entryId(scope, key);
    const entry = this.leased(id, leaseToken);
    if (entry === undefined) return Promise.resolve(false);
    this.entries.set(id, { ...entry, expiresAt: this.clock.now().getTime() + leaseMs });
    return Promise.resolve(true);
  }

  /** Drops expired entries once every SWEEP_EVERY begins, so abandoned keys do not pile up. */
  private sweepSometimes(now: number): void {
    if (++this.beginsSinceSweep < SWEEP_EVERY) return;
    this.beginsSinceSweep = 0;
    for (const [id, entry] of this.entries) {
      if (entry.expiresAt <= now) this.entries.delete(id);
    }
  }

  /** The entry when `leaseToken` holds its live lease (fencing), else undefined. */
  private leased(id: string, leaseToken: string): Entry | undefined {
    const entry = this.entries.get(id);
    if (
      entry?.state !== 'in_progress' ||
      entry.leaseToken !== leaseToken ||
      entry.expiresAt <= this.clock.now().getTime()
    ) {
      return undefined;
    }
    return entry;
  }
}

/** Unambiguous for any strings (JSON quoting), and per tenant, principal and operation. */
const entryId = (scope: IdempotencyScope, key: string): string =>
  JSON.stringify([scope.tenantId, scope.principalId, scope.operation, key]);
