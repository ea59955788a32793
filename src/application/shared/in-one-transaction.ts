import type { JoinedTransactions } from '../../domain/shared/request-transactions.port.js';

const nothingBeforeCommit = (): Promise<void> => Promise.resolve();

/**
 * Runs a change and its audit event as one transaction: the request's when it has one (an
 * idempotent call), else one of their own. A change whose event cannot be written is not made,
 * and a call without an idempotency key commits once instead of once per write.
 */
export function inOneTransaction<T>(
  transactions: JoinedTransactions,
  tenantId: string,
  work: () => Promise<T>,
): Promise<T> {
  return transactions.run(tenantId, work, nothingBeforeCommit);
}
