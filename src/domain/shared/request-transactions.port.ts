/**
 * Runs a whole request in one transaction for one tenant. Every unit of work the request opens
 * joins it (tenant switches included, one at a time), and `beforeCommit` writes alongside
 * them: the request's effects and `beforeCommit`'s writes commit together or not at all.
 */
export interface RequestTransactions {
  run<T>(
    tenantId: string,
    work: () => Promise<T>,
    beforeCommit: (result: T) => Promise<void>,
  ): Promise<T>;
  /**
   * Whether a transaction opened now would start at once, taking capacity nobody waits for:
   * then opening one ahead of need (while another answer is awaited) costs no one anything.
   * False where opening costs nothing to begin with.
   */
  idle(): boolean;
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
