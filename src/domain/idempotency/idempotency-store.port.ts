import type {
  BeginRequest,
  BeginResult,
  CompleteRequest,
  IdempotencyScope,
} from './idempotency-record.js';

/** What a store can tell from memory alone: a completed record's answer, or a mismatch. */
export type RecalledResult = Extract<BeginResult, { state: 'completed' | 'mismatch' }>;

/**
 * The idempotency ledger: one record per (scope, key), holding a lease while the first call
 * runs and its outcome afterwards. Expiry is judged on read with the store's clock, never left
 * to a TTL alone. Every state change is atomic per key.
 *
 * Rules shared by every adapter (the contract suite checks them):
 * - begin: no live record -> `new` with a fresh lease token; a live lease -> `in_progress`;
 *   a completed, unexpired record -> `completed`; a live record with another fingerprint ->
 *   `mismatch` (checked before anything else). An expired lease is taken over (`new`, new token).
 * - complete / release / renew only act for the current lease token (fencing) and return
 *   false otherwise: a holder whose lease lapsed and was taken over cannot complete.
 * - complete keeps the outcome for `retentionMs`; a body over `maxResponseBytes` is not kept
 *   (`truncated: true`, status only).
 */
export interface IdempotencyStore {
  begin(request: BeginRequest): Promise<BeginResult>;
  complete(request: CompleteRequest): Promise<boolean>;
  release(scope: IdempotencyScope, key: string, leaseToken: string): Promise<boolean>;
  renew(
    scope: IdempotencyScope,
    key: string,
    leaseToken: string,
    leaseMs: number,
  ): Promise<boolean>;
  /**
   * Optional, for stores that keep completed records in process: what `begin` would answer for
   * a completed, unexpired record already held in memory (`completed` or `mismatch`), returned
   * synchronously, or undefined when only `begin` can tell. Never takes a lease.
   */
  recall?(scope: IdempotencyScope, key: string, fingerprint: string): RecalledResult | undefined;
}

/** Stored response bodies above this size are dropped (status only), unless configured. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;
