import type { SessionRevocations } from '../../../domain/identity/session-store.port.js';
import { currentRequestTransaction } from './pg-request-transactions.js';

/**
 * Runs `action` once the request transaction the caller is inside has committed, and never if
 * it rolls back; outside a request transaction (every unit of work committed on its own) at
 * once. Announcements of a change (revocations, cache invalidations) go through here, so a
 * rolled-back change is never announced.
 */
export function afterCommit(action: () => void): void {
  const ambient = currentRequestTransaction();
  if (ambient === undefined) {
    action();
    return;
  }
  ambient.trx.executionPromise.then(action, () => undefined);
}

interface Lifecycle {
  start(): Promise<void>;
  close(): Promise<void>;
}

/** An id broadcast whose announcements wait for the enclosing request transaction to commit. */
export class CommitDeferredFeed implements SessionRevocations, Lifecycle {
  constructor(private readonly inner: SessionRevocations & Lifecycle) {}

  start(): Promise<void> {
    return this.inner.start();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  revoked(ids: readonly string[]): void {
    afterCommit(() => {
      this.inner.revoked(ids);
    });
  }

  onRevoked(listener: (id: string) => void): void {
    this.inner.onRevoked(listener);
  }

  onReset(listener: () => void): void {
    this.inner.onReset(listener);
  }
}
