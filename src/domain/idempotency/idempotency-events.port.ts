import type { IdempotencyScope } from './idempotency-record.js';

export type BeginOutcome = 'new' | 'replayed' | 'in_progress' | 'mismatch';

/** What the idempotency machinery reports for metrics and logs. */
export interface IdempotencyEvents {
  begun(outcome: BeginOutcome): void;
  mismatch(scope: IdempotencyScope, key: string): void;
  leaseLost(scope: IdempotencyScope, key: string): void;
  stored(bytes: number): void;
  waited(ms: number): void;
}
