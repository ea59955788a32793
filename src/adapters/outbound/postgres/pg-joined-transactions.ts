import type {
  JoinedTransactions,
  OpeningRead,
  RequestTransactions,
} from '../../../domain/shared/request-transactions.port.js';
import { currentRequestTransaction } from './pg-request-transactions.js';

/**
 * One transaction around several units of work: the running request transaction when there is
 * one (the work simply joins it, and commits or rolls back with the whole request), else a new
 * one for just this work. For use cases that must write two things atomically (a change and
 * its audit event) whether or not the call carries an idempotency key.
 */
export class PgJoinedTransactions implements JoinedTransactions {
  readonly joinsRunningTransaction = true;

  constructor(private readonly fresh: RequestTransactions) {}

  idle(): boolean {
    return this.fresh.idle();
  }

  async run<T, F = undefined>(
    tenantId: string,
    work: (opened: F) => Promise<T>,
    beforeCommit: (result: T) => Promise<void>,
    opening?: OpeningRead<F>,
  ): Promise<T> {
    if (currentRequestTransaction() === undefined) {
      return this.fresh.run(tenantId, work, beforeCommit, opening);
    }
    const result = await work((await opening?.readInside()) as F);
    await beforeCommit(result);
    return result;
  }
}
