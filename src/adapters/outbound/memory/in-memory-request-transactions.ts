import type {
  JoinedTransactions,
  OpeningRead,
} from '../../../domain/shared/request-transactions.port.js';

/**
 * Runs the work, then `beforeCommit`, for one-process use and tests. Unlike Postgres it does
 * not make the memory units of work and `beforeCommit` one atomic step: a failing
 * `beforeCommit` does not undo what the work wrote. There is nothing to open, so it serves as
 * the joined kind too.
 */
export class InMemoryRequestTransactions implements JoinedTransactions {
  readonly joinsRunningTransaction = true;

  /** Nothing to open, so nothing to gain by opening early. */
  idle(): boolean {
    return false;
  }

  async run<T, F = undefined>(
    _tenantId: string,
    work: (opened: F) => Promise<T>,
    beforeCommit: (result: T) => Promise<void>,
    opening?: OpeningRead<F>,
  ): Promise<T> {
    const result = await work((await opening?.readInside()) as F);
    await beforeCommit(result);
    return result;
  }
}
