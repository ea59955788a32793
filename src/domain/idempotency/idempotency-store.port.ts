import type {
  BeginRequest,
  BeginResult,
  CompleteRequest,
  IdempotencyScope,
} from './idempotency-record.js';

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
}

/** Stored response bodies above this size are dropped (status only), unless configured. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;
