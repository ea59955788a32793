/**
 * Runs a whole request in one transaction for one tenant. Every unit of work the request opens
 * joins it (tenant switches included, one at a time), and `beforeCommit` writes alongside
 * them: the request's effects and `beforeCommit`'s writes commit together or not at all.
 */
export interface RequestTransactions {
  /**
   * `opening`, if given, is read first and its answer handed to `work`: Postgres sends it with
   * the transaction's BEGIN, in one round trip.
   */
  run<T, F = undefined>(
    tenantId: string,
    work: (opened: F) => Promise<T>,
    beforeCommit: (result: T) => Promise<void>,
    opening?: OpeningRead<F>,
  ): Promise<T>;
  /**
   * Whether a transaction opened now would start at once, taking capacity nobody waits for:
   * then opening one ahead of need (while another answer is awaited) costs no one anything.
   * False where opening costs nothing to begin with.
   */
  idle(): boolean;
}

/**
 * A read a request transaction makes as it opens, before its work (see `RequestTransactions`),
 * made by an adapter of the same kind (e.g. `IdempotencyLedger.completionAtOpening`). An
 * adapter that cannot send it with the opening reads it as the transaction's first statement.
 */
export interface OpeningRead<F> {
  /** The read on its own, inside the request's transaction. */
  readInside(): Promise<F>;
}

/**
 * Request transactions that join the one already running, if any, instead of opening another:
 * what a use case takes to make a change and its audit event one transaction with or without
 * an idempotency key. A type of its own, so the plain kind (always a new transaction, on a
 * second connection inside an idempotent call) cannot be wired there by mistake.
 */
export interface JoinedTransactions extends RequestTransactions {
  readonly joinsRunningTransaction: true;
}
