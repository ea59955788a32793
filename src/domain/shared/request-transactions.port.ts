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
}
