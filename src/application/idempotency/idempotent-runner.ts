import type { IdempotencyEvents } from '../../domain/idempotency/idempotency-events.port.js';
import type { IdempotencyLedger } from '../../domain/idempotency/idempotency-ledger.port.js';
import type {
  IdempotencyScope,
  StoredOutcome,
} from '../../domain/idempotency/idempotency-record.js';
import type { IdempotencyStore } from '../../domain/idempotency/idempotency-store.port.js';
import {
  idempotencyInProgress,
  idempotencyKeyReused,
  idempotencyStoreUnavailable,
} from '../../domain/idempotency/idempotency.errors.js';
import type { Clock } from '../../domain/shared/clock.port.js';
import { isDomainError } from '../../domain/shared/errors.js';
import type { RequestTransactions } from '../../domain/shared/request-transactions.port.js';

export interface IdempotentCall<T> {
  readonly scope: IdempotencyScope;
  readonly key: string;
  readonly fingerprint: string;
  readonly retentionMs: number;
  /** Wait for a running first call's result instead of failing with IDEMPOTENCY_IN_PROGRESS. */
  readonly waitForResult: boolean;
  /** Ends waiting (deadline or cancellation). */
  readonly signal: AbortSignal;
  readonly execute: () => Promise<T>;
  /** How a result is kept for replay. */
  readonly outcomeOf: (result: T) => StoredOutcome;
  /** How a failure is kept for replay; undefined for transient failures, which free the key. */
  readonly failureOutcomeOf: (error: unknown) => StoredOutcome | undefined;
}

export type IdempotentResult<T> =
  | { readonly executed: true; readonly result: T }
  | { readonly executed: false; readonly replay: StoredOutcome };

export interface IdempotentRunnerOptions {
  readonly leaseMs: number;
  /** How often a waiting retry looks again. */
  readonly pollMs: number;
  /**
   * The store is a fast cache in front of the ledger (Redis): a `new` answer is checked
   * against the ledger, which holds completions the cache may have lost.
   */
  readonly storeIsCache: boolean;
  /** Failpoints for crash tests only (see `WEMASTER_FAILPOINT`); never set in production. */
  readonly hooks?: IdempotentRunnerHooks;
}

/** Called at the three points where a crash leaves a different state behind. Test-only. */
export interface IdempotentRunnerHooks {
  /** A new claim holds the lease; the call has not executed. */
  afterLock?(): void;
  /** Inside the request transaction: the handler's writes and the ledger row are done, not committed. */
  beforeCommit?(): void;
  /** Committed; the fast store has not heard of the outcome yet. */
  afterCommit?(): void;
}

/**
 * Runs a call at most once per (scope, key): the first call executes inside one request
 * transaction together with the durable record of its outcome; retries get that outcome back.
 * The lease is renewed while the call runs, and a holder that lost it cannot commit.
 */
export class IdempotentRunner {
  constructor(
    private readonly store: IdempotencyStore,
    private readonly ledger: IdempotencyLedger,
    private readonly transactions: RequestTransactions,
    private readonly events: IdempotencyEvents,
    private readonly clock: Clock,
    private readonly options: IdempotentRunnerOptions,
  ) {}

  /**
   * The stored outcome of a retry whose completed record the store holds in memory, found
   * without I/O or awaiting (counted as a replay); undefined when only `run` can tell.
   * Throws IDEMPOTENCY_KEY_REUSED when that record was made by a different request.
   */
  replayFromMemory(
    scope: IdempotencyScope,
    key: string,
    fingerprint: string,
    waitForResult: boolean,
  ): StoredOutcome | undefined {
    const recalled = this.store.recall?.(scope, key, fingerprint);
    if (recalled === undefined) return undefined;
    if (recalled.state === 'mismatch') throw this.keyReused(scope, key);
    this.events.begun('replayed');
    // As `run` would report it: the answer was there at once.
    if (waitForResult) this.events.waited(0);
    return recalled.outcome;
  }

  async run<T>(call: IdempotentCall<T>): Promise<IdempotentResult<T>> {
    const leaseToken = await this.claim(call);
    if (typeof leaseToken !== 'string') return leaseToken;
    // The cache said "new". With a cache in front, the ledger has the last word on completions
    // the cache may have lost: asked now, while the request transaction opens (one round trip
    // off every new key's path), when a connection is free at once; else in the transaction.
    const early = this.options.storeIsCache
      ? this.ledger.findIfIdle(call.scope, call.key)
      : undefined;
    // A failure is seen where the lookup is awaited; never awaited (the transaction failed to
    // open), it is of no interest.
    early?.catch(() => undefined);
    try {
      return await this.execute(call, leaseToken, early);
    } catch (error) {
      if (!(error instanceof CompletedBeforeCache)) throw error;
      return this.replayFromLedger(call, leaseToken, error.kept);
    }
  }

  private async execute<T>(
    call: IdempotentCall<T>,
    leaseToken: string,
    early: Promise<LedgerEntry | undefined> | undefined,
  ): Promise<IdempotentResult<T>> {
    const hooks = this.options.hooks;
    hooks?.afterLock?.();

    const renewal = setInterval(
      () => {
        this.store.renew(call.scope, call.key, leaseToken, this.options.leaseMs).then(
          (held) => {
            if (!held) this.events.leaseLost(call.scope, call.key);
          },
          () => undefined,
        );
      },
      Math.max(1, Math.floor(this.options.leaseMs / 3)),
    );
    renewal.unref();
    try {
      let outcome: StoredOutcome | undefined;
      const result = await this.transactions.run(
        call.scope.tenantId,
        async () => {
          // The ledger's answer, looked up while this transaction opened or now within it.
          if (this.options.storeIsCache) {
            const kept = await (early ?? this.ledger.find(call.scope, call.key));
            if (kept !== undefined) throw new CompletedBeforeCache(kept);
            this.events.begun('new');
          }
          return call.execute();
        },
        async (done) => {
          outcome = call.outcomeOf(done);
          await this.ledger.recordWithinRequest({
            scope: call.scope,
            key: call.key,
            fingerprint: call.fingerprint,
            leaseToken,
            outcome,
            retentionMs: call.retentionMs,
          });
          hooks?.beforeCommit?.();
        },
      );
      hooks?.afterCommit?.();
      if (outcome !== undefined) {
        this.events.stored(outcome.body?.byteLength ?? 0);
        // The ledger has it; this fills the fast store (a no-op when the ledger is the store).
        // Not awaited: the command is queued before the response leaves, so a retry through
        // this process finds it, and a retry that overtakes it elsewhere is told IN_PROGRESS
        // (retryable) or waits; the ledger, not the cache, is what keeps the effect single.
        void this.keep(call, leaseToken, outcome);
      }
      return { executed: true, result };
    } catch (error) {
      if (error instanceof CompletedBeforeCache) throw error;
      if (isDomainError(error) && error.code === 'IDEMPOTENCY_LEASE_LOST') {
        this.events.leaseLost(call.scope, call.key);
      }
      const outcome = call.failureOutcomeOf(error);
      if (outcome === undefined) {
        // Nothing committed (the transaction rolled back): free the key for a retry.
        await this.store.release(call.scope, call.key, leaseToken).catch(() => false);
        throw error;
      }
      // A client error is kept in the fast store only. Before keeping it, make sure no other
      // holder (one whose lease this call took over) committed the key meanwhile: this call's
      // error may only be the shadow of that success (e.g. the email it just registered).
      const committed = this.options.storeIsCache
        ? await this.ledger.find(call.scope, call.key)
        : undefined;
      if (committed !== undefined) throw new CompletedBeforeCache(committed);
      if (await this.keep(call, leaseToken, outcome)) {
        this.events.stored(outcome.body?.byteLength ?? 0);
      }
      throw error;
    } finally {
      clearInterval(renewal);
    }
  }

  /** A lease token for a new call, or the answer for a retry. */
  private async claim<T>(call: IdempotentCall<T>): Promise<string | IdempotentResult<T>> {
    const started = this.clock.now().getTime();
    for (;;) {
      const begun = await this.store
        .begin({
          scope: call.scope,
          key: call.key,
          fingerprint: call.fingerprint,
          leaseMs: this.options.leaseMs,
        })
        .catch(() => {
          throw idempotencyStoreUnavailable();
        });
      switch (begun.state) {
        case 'completed':
          this.events.begun('replayed');
          if (call.waitForResult) this.events.waited(this.clock.now().getTime() - started);
          return { executed: false, replay: begun.outcome };
        case 'mismatch':
          throw this.keyReused(call.scope, call.key);
        case 'in_progress':
          if (!call.waitForResult || call.signal.aborted) {
            this.events.begun('in_progress');
            throw idempotencyInProgress();
          }
          await new Promise((resolve) => setTimeout(resolve, this.options.pollMs));
          continue;
        case 'new':
          // Counted as new; a completion found in the ledger is recounted as a replay.
          if (!this.options.storeIsCache) this.events.begun('new');
          return begun.leaseToken;
      }
    }
  }

  /** Completed before the cache heard of it (a crash between commit and cache write). */
  private async replayFromLedger<T>(
    call: IdempotentCall<T>,
    leaseToken: string,
    kept: LedgerEntry,
  ): Promise<IdempotentResult<T>> {
    if (kept.fingerprint !== call.fingerprint) {
      await this.store.release(call.scope, call.key, leaseToken).catch(() => false);
      throw this.keyReused(call.scope, call.key);
    }
    await this.keep(call, leaseToken, kept.outcome);
    this.events.begun('replayed');
    return { executed: false, replay: kept.outcome };
  }

  private keyReused(scope: IdempotencyScope, key: string): Error {
    this.events.begun('mismatch');
    this.events.mismatch(scope, key);
    return idempotencyKeyReused();
  }

  private keep<T>(
    call: IdempotentCall<T>,
    leaseToken: string,
    outcome: StoredOutcome,
  ): Promise<boolean> {
    const { scope, key, retentionMs } = call;
    return this.store.complete({ scope, key, leaseToken, outcome, retentionMs }).catch(() => false);
  }
}

type LedgerEntry = NonNullable<Awaited<ReturnType<IdempotencyLedger['find']>>>;

/** Unwinds the request transaction (nothing ran) when the ledger already holds the outcome. */
class CompletedBeforeCache extends Error {
  constructor(readonly kept: LedgerEntry) {
    super('the ledger holds a completion the cache lost');
  }
}
