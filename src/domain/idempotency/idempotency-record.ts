/**
 * Who a key belongs to: two callers, or one caller on two operations, never share a key.
 * `operation` is a full gRPC method name for the interceptor, or a caller-chosen scope for
 * IdempotencyService users.
 */
export interface IdempotencyScope {
  readonly tenantId: string;
  readonly principalId: string;
  readonly operation: string;
}

/** How the first call ended, kept to answer its retries with exactly the same thing. */
export interface StoredOutcome {
  /** gRPC status code (0 = OK). */
  readonly code: number;
  /** The serialized response message when OK; undefined otherwise or when `truncated`. */
  readonly body: Uint8Array | undefined;
  /** Status message for errors. */
  readonly message: string;
  /** Serialized `google.rpc.Status` details for errors, if any. */
  readonly details: Uint8Array | undefined;
  /** The body was over the store's size limit and was not kept: only the status is. */
  readonly truncated: boolean;
}

export type BeginResult =
  /** The caller holds the key until `leaseExpiresAt` and must complete or release it. */
  | { readonly state: 'new'; readonly leaseToken: string; readonly leaseExpiresAt: Date }
  /** Another holder's lease is still live. */
  | { readonly state: 'in_progress' }
  /** Answers retries until `expiresAt`; never changes before then. */
  | { readonly state: 'completed'; readonly outcome: StoredOutcome; readonly expiresAt: Date }
  /** The key was used with a different request (fingerprint). */
  | { readonly state: 'mismatch' };

export interface BeginRequest {
  readonly scope: IdempotencyScope;
  /** 1..255 printable ASCII, validated by the caller. */
  readonly key: string;
  /** Hash of the request bytes (hex). */
  readonly fingerprint: string;
  readonly leaseMs: number;
}

export interface CompleteRequest {
  readonly scope: IdempotencyScope;
  readonly key: string;
  readonly leaseToken: string;
  readonly outcome: StoredOutcome;
  /** How long the completed record answers retries. */
  readonly retentionMs: number;
}

/** The outcome as a store keeps it: a body over `maxBytes` is dropped, the status kept. */
export function withinSizeLimit(outcome: StoredOutcome, maxBytes: number): StoredOutcome {
  if (outcome.body === undefined || outcome.body.byteLength <= maxBytes) return outcome;
  return { ...outcome, body: undefined, truncated: true };
}
