import type {
  BeginRequest,
  BeginResult,
  CompleteRequest,
  IdempotencyScope,
  StoredOutcome,
} from '../../../domain/idempotency/idempotency-record.js';
import type {
  IdempotencyStore,
  RecalledResult,
} from '../../../domain/idempotency/idempotency-store.port.js';
import type { Clock } from '../../../domain/shared/clock.port.js';

export interface ReplayCacheLimits {
  /** Completed records kept in process (least recently used go first). Default 10 000. */
  readonly maxEntries?: number;
  /** Their stored bodies and details, in bytes. Default 32 MiB. */
  readonly maxBytes?: number;
}

interface Completed {
  readonly tenantId: string;
  readonly principalId: string;
  readonly operation: string;
  readonly key: string;
  readonly fingerprint: string;
  /** The answer itself, made once: a hit allocates nothing. */
  readonly answer: RecalledResult & { readonly state: 'completed' };
  readonly expiresAtMs: number;
  readonly bytes: number;
  /** Read since the eviction sweep last passed it (a second chance, see `makeRoom`). */
  used: boolean;
  /** The next record with the same key in another scope (rare: keys are the clients' own). */
  next: Completed | undefined;
}

const MISMATCH: RecalledResult = Object.freeze({ state: 'mismatch' });

/** Records of one key (in different scopes) kept at most; see `remember`. */
export const MAX_SCOPES_PER_KEY = 16;

const sizeOf = (outcome: StoredOutcome): number =>
  (outcome.body?.byteLength ?? 0) + (outcome.details?.byteLength ?? 0) + outcome.message.length;

const inScope = (entry: Completed, scope: IdempotencyScope): boolean =>
  entry.tenantId === scope.tenantId &&
  entry.principalId === scope.principalId &&
  entry.operation === scope.operation;

/**
 * Completed records, remembered in process in front of the shared store. A completed record
 * never changes before it expires, so once this replica has seen one it answers the key's
 * retries (replay, or mismatch for another fingerprint) without a round trip to Redis or
 * Postgres, and forgets it at its expiry. Everything else (new keys, leases, in-progress
 * answers) always goes to the shared store: they change, and other replicas change them.
 */
export class ReplayCachingIdempotencyStore implements IdempotencyStore {
  /**
   * Looked up by key alone, then scope compared field by field: a per-call id string joining
   * scope and key cost more than the rest of a hit together.
   */
  private readonly byKey = new Map<string, Completed>();
  /** Every record, oldest first: the eviction sweep's order. */
  private readonly age = new Set<Completed>();
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

  recall(scope: IdempotencyScope, key: string, fingerprint: string): RecalledResult | undefined {
    const known = this.find(scope, key);
    if (known === undefined) return undefined;
    if (known.expiresAtMs <= this.clock.now().getTime()) {
      this.forget(known);
      return undefined;
    }
    // Marking beats moving the record to the end of the order: a hit writes one field.
    known.used = true;
    return known.fingerprint === fingerprint ? known.answer : MISMATCH;
  }

  async begin(request: BeginRequest): Promise<BeginResult> {
    const recalled = this.recall(request.scope, request.key, request.fingerprint);
    if (recalled !== undefined) return recalled;
    const result = await this.shared.begin(request);
    if (result.state !== 'completed') return result;
    const bytes = sizeOf(result.outcome);
    // An unreadable expiry would never pass: such a record is not kept here at all.
    if (bytes > this.maxBytes || !Number.isFinite(result.expiresAt.getTime())) return result;
    // Stores hand out private copies of the bytes: this answer can be kept and shared as is.
    const { scope, key } = request;
    this.remember({
      tenantId: scope.tenantId,
      principalId: scope.principalId,
      operation: scope.operation,
      key,
      fingerprint: request.fingerprint,
      answer: result,
      expiresAtMs: result.expiresAt.getTime(),
      bytes,
      used: false,
      next: undefined,
    });
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
    return this.age.size;
  }

  private find(scope: IdempotencyScope, key: string): Completed | undefined {
    for (let entry = this.byKey.get(key); entry !== undefined; entry = entry.next) {
      if (inScope(entry, scope)) return entry;
    }
    return undefined;
  }

  private remember(entry: Completed): void {
    const replaced = this.find(entry, entry.key);
    if (replaced !== undefined) this.forget(replaced);
    // A key many scopes use (`1`, `retry`) would make every lookup of it walk a long chain:
    // past a few, its records are left to the shared store.
    let scopes = 0;
    for (let other = this.byKey.get(entry.key); other !== undefined; other = other.next) {
      if (++scopes >= MAX_SCOPES_PER_KEY) return;
    }
    this.makeRoom(entry.bytes);
    entry.next = this.byKey.get(entry.key);
    this.byKey.set(entry.key, entry);
    this.age.add(entry);
    this.bytes += entry.bytes;
  }

  /**
   * Evicts until `bytes` more fit, by second chance (CLOCK): the sweep starts at the oldest
   * record; one read since the sweep last passed it moves to the end instead of going. Close
   * to least-recently-used, without reordering on every hit. Ends: every record the sweep
   * passes loses its mark.
   */
  private makeRoom(bytes: number): void {
    for (const entry of this.age) {
      if (this.age.size < this.maxEntries && this.bytes + bytes <= this.maxBytes) return;
      if (entry.used) {
        entry.used = false;
        this.age.delete(entry);
        this.age.add(entry);
      } else {
        this.forget(entry);
      }
    }
  }

  private forget(entry: Completed): void {
    if (!this.age.delete(entry)) return;
    this.bytes -= entry.bytes;
    const head = this.byKey.get(entry.key);
    if (head === entry) {
      if (entry.next === undefined) this.byKey.delete(entry.key);
      else this.byKey.set(entry.key, entry.next);
      return;
    }
    for (let before = head; before !== undefined; before = before.next) {
      if (before.next === entry) {
        before.next = entry.next;
        return;
      }
    }
  }
}
