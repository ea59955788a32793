import type { RequestTransactions } from '../../../domain/shared/request-transactions.port.js';

/**
 * Runs the work, then `beforeCommit`, for one-process use and tests. Unlike Postgres it does
 * not make the memory units of work and `beforeCommit` one atomic step: a failing
 * `beforeCommit` does not undo what the work wrote.
 */
export class InMemoryRequestTransactions implements RequestTransactions {
  async run<T>(
    _tenantId: string,
    work: () => Promise<T>,
    beforeCommit: (result: T) => Promise<void>,
  ): Promise<T> {
    const result = await work();
    await beforeCommit(result);
    return result;
  }
}
