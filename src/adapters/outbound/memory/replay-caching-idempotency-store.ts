import type {
  BeginRequest,
  BeginResult,
  CompleteRequest,
  IdempotencyScope,
  StoredOutcome,
} from '../../../domain/idempotency/idempotency-record.js';
import type { IdempotencyStore } from '../../../domain/idempotency/idempotency-store.port.js';
import type { Clock } from '../../../domain/shared/clock.port.js';

export interface ReplayCacheLimits {
  /** Completed records kept in process (least recently used go first). Default 10 000. */
  readonly maxEntries?: number;
  /** Their stored bodies and details, in bytes. Default 32 MiB. */
  readonly maxBytes?: number;
}

interface Completed {
  readonly fingerprint: string;
  readonly outcome: StoredOutcome;
  readonly expiresAt: Date;
  readonly bytes: number;
}

/** Printable ASCII keys and UUID / method-path scopes never contain NUL. */
const idOf = (scope: IdempotencyScope, key: string): string =>
  `${scope.tenantId}\u0000${scope.principalId}\u0000${scope.operation}\u0000${key}`;

const sizeOf = (outcome: StoredOutcome): number =>
  (outcome.body?.byteLength ?? 0) + (outcome.details?.byteLength ?? 0) + outcome.message.length;

/**
 * Completed records, remembered in process in front of the shared store. A completed record
 * never changes before it expires, so once this replica has seen one it answers the key's
 * retries (replay, or mismatch for another fingerprint) without a round trip to Redis or
 * Postgres, and forgets it at its expiry. Everything else (new keys, leases, in-progress
 * answers) always goes to the shared store: they change, and other replicas change them.
 */
export class ReplayCachingIdempotencyStore implements IdempotencyStore {
  private readonly completed = new Map<string, Completed>();
  private bytes = 0;
  private readonly maxEntries: number;
  private readonly maxBytes: number;

  constructor(
    private readonly shared: IdempotencyStore,
    private readonly clock: Clock,
    limits: ReplayCacheLimits = {},
  ) {
    this.maxEntries = limits.maxEntries ?? 10_000;
    this.maxBytes = limits.maxBytes ?? 32 * 1024 * 1024;
  }

  async begin(request: BeginRequest): Promise<BeginResult> {
    const id = idOf(request.scope, request.key);
    const known = this.completed.get(id);
    if (known !== undefined) {
      this.forget(id, known);
      if (known.expiresAt.getTime() > this.clock.now().getTime()) {
        this.remember(id, known); // most recently used again
        if (known.fingerprint !== request.fingerprint) return { state: 'mismatch' };
        return { state: 'completed', outcome: known.outcome, expiresAt: known.expiresAt };
      }
    }
    const result = await this.shared.begin(request);
    if (result.state === 'completed') {
      const entry: Completed = {
        fingerprint: request.fingerprint,
        outcome: result.outcome,
        expiresAt: result.expiresAt,
        bytes: sizeOf(result.outcome),
      };
      if (entry.bytes <= this.maxBytes) this.remember(id, entry);
    }
    return result;
  }

  complete(request: CompleteRequest): Promise<boolean> {
    return this.shared.complete(request);
  }

  release(scope: IdempotencyScope, key: string, leaseToken: string): Promise<boolean> {
    return this.shared.release(scope, key, leaseToken);
  }

  renew(
    scope: IdempotencyScope,
    key: string,
    leaseToken: string,
    leaseMs: number,
  ): Promise<boolean> {
    return this.shared.renew(scope, key, leaseToken, leaseMs);
  }

  /** How many completed records are remembered (for tests and metrics). */
  get size(): number {
    return this.completed.size;
  }

  private remember(id: string, entry: Completed): void {
    this.completed.set(id, entry);
    this.bytes += entry.bytes;
    // A Map iterates in insertion order: the first entries are the least recently used.
    for (const [oldestId, oldest] of this.completed) {
      if (this.completed.size <= this.maxEntries && this.bytes <= this.maxBytes) break;
      this.forget(oldestId, oldest);
    }
  }

  private forget(id: string, entry: Completed): void {
    if (this.completed.delete(id)) this.bytes -= entry.bytes;
  }
}
