import type { OpeningRead } from '../shared/request-transactions.port.js';
import type { CompleteRequest, IdempotencyScope, StoredOutcome } from './idempotency-record.js';

/**
 * The durable record of completed calls, written inside the request's own transaction, so a
 * call's effects and the record of its outcome commit together or not at all.
 */
export interface IdempotencyLedger {
  /**
   * Must run inside `RequestTransactions.run`. Records the outcome for the current lease, or
   * fails with `IDEMPOTENCY_LEASE_LOST` (rolling the request back) when the key is completed or
   * held by someone else: here, or, where the record travels with the commit (Postgres), as
   * the failure `RequestTransactions.run` rejects with.
   */
  recordWithinRequest(request: CompleteRequest & { readonly fingerprint: string }): Promise<void>;
  /** A completed, unexpired record (for a fast store that lost it, e.g. after a crash). */
  find(scope: IdempotencyScope, key: string): Promise<LedgerCompletion | undefined>;
  /**
   * `find` as the opening read of the request transaction of the scope's tenant (see
   * `RequestTransactions.run`): on Postgres it costs no round trip of its own.
   */
  completionAtOpening(
    scope: IdempotencyScope,
    key: string,
  ): OpeningRead<LedgerCompletion | undefined>;
}

export interface LedgerCompletion {
  readonly fingerprint: string;
  readonly outcome: StoredOutcome;
}
