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
  /**
   * How long a transaction opened ahead of the claim (Postgres idle) waits for the claim before
   * it gives its connection back and the call goes on one step after the other: a stalled
   * cache must not hold request slots. Default 50 ms.
   */
  readonly earlyClaimWaitMs?: number;
  /**
   * Runs work that the caller need not wait for (filling the fast store after a commit) after
   * the answer has been handed over: the gRPC composition passes `setImmediate`. A retry that
   * overtakes it meanwhile is told IDEMPOTENCY_IN_PROGRESS (retryable) or waits. Default: at
   * once.
   */
  readonly afterAnswer?: (work: () => void) => void;
  /** Failpoints for crash tests only (see `WEMASTER_FAILPOINT`); never set in production. */
  readonly hooks?: IdempotentRunnerHooks;
}

/** Called at the three points where a crash leaves a different state behind. Test-only. */
export interface IdempotentRunnerHooks {
  /** A new claim holds the lease; the call has not executed. */
  afterLock?(): void;
  /** Inside the request transaction: the handler's writes are done and the ledger row given, not committed. */
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
    const started = this.clock.now().getTime();
    const first = this.begin(call);
    if (this.options.storeIsCache && this.transactions.idle()) {
      // Nobody waits for Postgres: the request transaction opens (asking the ledger as it
      // does) while the cache answers the claim, instead of one after the other. A retry the
      // cache answers then costs one rolled-back transaction, only while Postgres is idle.
      try {
        return await this.executeClaimed(call, this.claimedSoon(first));
      } catch (error) {
        if (!(error instanceof NotClaimed)) throw error;
        return this.runClaimed(call, error.begun ?? (await first), started);
      }
    }
    return this.runClaimed(call, await first, started);
  }

  /**
   * The lease of a first claim that says "new" within `earlyClaimWaitMs`; otherwise rejects
   * with `NotClaimed` (with the answer, or without one when it is late: `first` still has it).
   */
  private claimedSoon(first: Promise<Begun>): Promise<string> {
    return new Promise((resolve, reject) => {
      const late = setTimeout(() => {
        reject(new NotClaimed(undefined));
      }, this.options.earlyClaimWaitMs ?? 50);
      late.unref();
      first.then(
        (begun) => {
          clearTimeout(late);
          if (begun.state === 'new') resolve(begun.leaseToken);
          else reject(new NotClaimed(begun));
        },
        (error: unknown) => {
          clearTimeout(late);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  /** Claims one after the other: the cache's answer first, then the transaction. */
  private async runClaimed<T>(
    call: IdempotentCall<T>,
    first: Begun,
    started: number,
  ): Promise<IdempotentResult<T>> {
    const leaseToken = await this.claim(call, first, started);
    if (typeof leaseToken !== 'string') return leaseToken;
    return this.executeClaimed(call, Promise.resolve(leaseToken));
  }

  private async executeClaimed<T>(
    call: IdempotentCall<T>,
    claimed: Promise<string>,
  ): Promise<IdempotentResult<T>> {
    try {
      return await this.execute(call, claimed);
    } catch (error) {
      if (!(error instanceof CompletedBeforeCache)) throw error;
      return this.replayFromLedger(call, error.leaseToken, error.kept);
    }
  }

  /**
   * Runs the call in its request transaction once `claimed` gives the lease (a rejection, e.g.
   * `NotClaimed`, rolls the still empty transaction back and is rethrown as is).
   */
  private async execute<T>(
    call: IdempotentCall<T>,
    claimed: Promise<string>,
  ): Promise<IdempotentResult<T>> {
    const hooks = this.options.hooks;
    let leaseToken: string | undefined;
    let renewal: ReturnType<typeof setInterval> | undefined;
    // Held from the moment the lease is ours, even while the transaction still waits to open.
    const held = claimed.then((token) => {
      leaseToken = token;
      hooks?.afterLock?.();
      renewal = setInterval(
        () => {
          this.store.renew(call.scope, call.key, token, this.options.leaseMs).then(
            (kept) => {
              if (!kept) this.events.leaseLost(call.scope, call.key);
            },
            () => undefined,
          );
        },
        Math.max(1, Math.floor(this.options.leaseMs / 3)),
      );
      renewal.unref();
      return token;
    });
    held.catch(() => undefined);
    try {
      let outcome: StoredOutcome | undefined;
      // With a cache in front, the ledger has the last word on completions the cache may have
      // lost: asked as the transaction opens.
      const opening = this.options.storeIsCache
        ? this.ledger.completionAtOpening(call.scope, call.key)
        : undefined;
      const result = await this.transactions.run(
        call.scope.tenantId,
        async (kept: LedgerEntry | undefined) => {
          const token = await held;
          if (this.options.storeIsCache) {
            if (kept !== undefined) throw new CompletedBeforeCache(kept, token);
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
            leaseToken: await held,
            outcome,
            retentionMs: call.retentionMs,
          });
          hooks?.beforeCommit?.();
        },
        opening,
      );
      hooks?.afterCommit?.();
      if (outcome !== undefined && leaseToken !== undefined) {
        this.events.stored(outcome.body?.byteLength ?? 0);
        // The ledger has it; this fills the fast store (a no-op when the ledger is the store).
        // Sent after the answer (see `afterAnswer`): the ledger, not the cache, keeps the effect
        // single.
        const kept = outcome;
        const token = leaseToken;
        (this.options.afterAnswer ?? runNow)(() => void this.keep(call, token, kept));
      }
      return { executed: true, result };
    } catch (error) {
      if (error instanceof CompletedBeforeCache) throw error;
      // The transaction may have failed before the claim answered: let the claim settle, so
      // that a lease it gives is freed below instead of being renewed forever.
      const unclaimed = await held.then(
        () => undefined,
        (reason: unknown) => reason,
      );
      // Not claimed (or the claim failed): nothing ran, and there is no lease to free. A cache
      // answer beats a failure to open the transaction: a retry's answer needs no Postgres.
      if (leaseToken === undefined) throw unclaimed instanceof NotClaimed ? unclaimed : error;
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
      if (committed !== undefined) throw new CompletedBeforeCache(committed, leaseToken);
      if (await this.keep(call, leaseToken, outcome)) {
        this.events.stored(outcome.body?.byteLength ?? 0);
      }
      throw error;
    } finally {
      clearInterval(renewal);
    }
  }

  /** One claim attempt; a store that cannot answer makes the call UNAVAILABLE. */
  private begin<T>(call: IdempotentCall<T>): Promise<Begun> {
    return this.store
      .begin({
        scope: call.scope,
        key: call.key,
        fingerprint: call.fingerprint,
        leaseMs: this.options.leaseMs,
      })
      .catch(() => {
        throw idempotencyStoreUnavailable();
      });
  }

  /** A lease token for a new call, or the answer for a retry, starting from a first answer. */
  private async claim<T>(
    call: IdempotentCall<T>,
    first: Begun,
    started: number,
  ): Promise<string | IdempotentResult<T>> {
    let begun = first;
    for (;;) {
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
          begun = await this.begin(call);
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

const runNow = (work: () => void): void => {
  work();
};

type LedgerEntry = NonNullable<Awaited<ReturnType<IdempotencyLedger['find']>>>;
type Begun = Awaited<ReturnType<IdempotencyStore['begin']>>;

/** Unwinds the request transaction (nothing ran) when the ledger already holds the outcome. */
class CompletedBeforeCache extends Error {
  constructor(
    readonly kept: LedgerEntry,
    readonly leaseToken: string,
  ) {
    super('the ledger holds a completion the cache lost');
  }
}

/**
 * Unwinds a transaction opened ahead of the claim when the cache's answer was not "new", or
 * did not come in time (`begun` undefined).
 */
class NotClaimed extends Error {
  constructor(readonly begun: Begun | undefined) {
    super('the key was not claimed in time');
  }
}
