import type { IdempotencyLedger } from '../../../domain/idempotency/idempotency-ledger.port.js';
import {
  withinSizeLimit,
  type CompleteRequest,
  type IdempotencyScope,
  type StoredOutcome,
} from '../../../domain/idempotency/idempotency-record.js';
import { idempotencyLeaseLost } from '../../../domain/idempotency/idempotency.errors.js';
import type { Clock } from '../../../domain/shared/clock.port.js';
import type { OpeningRead } from '../../../domain/shared/request-transactions.port.js';

interface Entry {
  readonly fingerprint: string;
  readonly outcome: StoredOutcome;
  readonly expiresAt: number;
}

const keyOf = (scope: IdempotencyScope, key: string): string =>
  JSON.stringify([scope.tenantId, scope.principalId, scope.operation, key]);

/** Completed outcomes in memory; a second live completion of one key is refused. */
export class InMemoryIdempotencyLedger implements IdempotencyLedger {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly clock: Clock,
    private readonly maxResponseBytes: number,
  ) {}

  recordWithinRequest(request: CompleteRequest & { readonly fingerprint: string }): Promise<void> {
    const id = keyOf(request.scope, request.key);
    const now = this.clock.now().getTime();
    const existing = this.entries.get(id);
    if (existing !== undefined && existing.expiresAt > now) {
      return Promise.reject(idempotencyLeaseLost());
    }
    this.entries.set(id, {
      fingerprint: request.fingerprint,
      outcome: withinSizeLimit(request.outcome, this.maxResponseBytes),
      expiresAt: now + request.retentionMs,
    });
    return Promise.resolve();
  }

  find(
    scope: IdempotencyScope,
    key: string,
  ): Promise<{ fingerprint: string; outcome: StoredOutcome } | undefined> {
    const entry = this.entries.get(keyOf(scope, key));
    const live = entry !== undefined && entry.expiresAt > this.clock.now().getTime();
    return Promise.resolve(live ? entry : undefined);
  }

  /** Nothing to send it with: read as the transaction's first step. */
  completionAtOpening(
    scope: IdempotencyScope,
    key: string,
  ): OpeningRead<{ fingerprint: string; outcome: StoredOutcome } | undefined> {
    return { readInside: () => this.find(scope, key) };
  }
}
