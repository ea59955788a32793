import { DomainError } from '../shared/errors.js';

export const idempotencyKeyRequired = (): DomainError =>
  new DomainError(
    'invalid_argument',
    'IDEMPOTENCY_KEY_REQUIRED',
    'idempotency-key: this method requires an idempotency key',
    { field: 'idempotency-key' },
  );

/** The IETF draft's 422: the key was already used with a different request. */
export const idempotencyKeyReused = (): DomainError =>
  new DomainError(
    'failed_precondition',
    'IDEMPOTENCY_KEY_REUSED',
    'idempotency-key: already used with a different request',
  );

/** The IETF draft's 409: retry later, the first call is still running. */
export const idempotencyInProgress = (): DomainError =>
  new DomainError(
    'aborted',
    'IDEMPOTENCY_IN_PROGRESS',
    'a call with this idempotency key is still in progress; retry later',
  );

/** The holder's lease lapsed and someone else took the key over: its work was not kept. */
export const idempotencyLeaseLost = (): DomainError =>
  new DomainError(
    'aborted',
    'IDEMPOTENCY_LEASE_LOST',
    'the idempotency lease was lost to another holder; retry to get the stored outcome',
  );

export const idempotencyResponseNotKept = (): DomainError =>
  new DomainError(
    'failed_precondition',
    'IDEMPOTENCY_RESPONSE_NOT_KEPT',
    'the first call with this idempotency key succeeded, but its response was too large to keep',
  );

/** The store (Redis) cannot be reached: fail closed rather than risk a second effect. */
export const idempotencyStoreUnavailable = (): DomainError =>
  new DomainError(
    'unavailable',
    'IDEMPOTENCY_STORE_UNAVAILABLE',
    'the idempotency store is unavailable; retry later',
  );
