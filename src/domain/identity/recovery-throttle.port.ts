import { DomainError } from '../shared/errors.js';

/**
 * One request for a mailed token, as the throttle counts it: per account, named by tenant slug
 * and normalized email (anonymous flows) or tenant id and user id (a signed-in caller).
 */
export interface RecoveryRequest {
  readonly tenantSlug: string;
  readonly email: string;
  readonly ip: string | undefined;
}

/** Caps mailed-token requests per (tenant, email), whether or not it exists, and per ip. */
export interface RecoveryThrottle {
  /** Counts the request; throws `recoveryThrottled` when a cap is reached. */
  consume(request: RecoveryRequest): Promise<void>;
}

export const recoveryThrottled = (retryAfterMs: number): DomainError =>
  new DomainError('resource_exhausted', 'TOO_MANY_REQUESTS', 'too many requests; try again later', {
    retryAfterMs: String(Math.max(1, Math.ceil(retryAfterMs))),
  });

export const recoveryThrottleUnavailable = (): DomainError =>
  new DomainError(
    'unavailable',
    'RECOVERY_THROTTLE_UNAVAILABLE',
    'temporarily unavailable; retry later',
  );
