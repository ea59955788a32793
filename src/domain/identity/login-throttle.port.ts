import { DomainError } from '../shared/errors.js';

/** One login attempt, as the throttle counts it. `email` is normalized; `ip` may be unknown. */
export interface LoginAttempt {
  readonly tenantSlug: string;
  readonly email: string;
  readonly ip: string | undefined;
}

/**
 * Brute-force protection for password login: consecutive failures per (tenant, email), whether
 * or not the email exists, lock the account for a while; failures per source ip are capped per
 * window. `check` runs before any password is verified.
 */
export interface LoginThrottle {
  /** Throws `loginThrottled` while the account or the source ip is locked. */
  check(attempt: LoginAttempt): Promise<void>;
  /** Counts a failure; `locked` is true when this failure locked the account. */
  recordFailure(attempt: LoginAttempt): Promise<{ readonly locked: boolean }>;
  /** A successful login clears the account's consecutive failures. */
  recordSuccess(attempt: LoginAttempt): Promise<void>;
}

/** The same answer whether or not the password is right, and whether or not the email exists. */
export const loginThrottled = (retryAfterMs: number): DomainError =>
  new DomainError(
    'resource_exhausted',
    'TOO_MANY_LOGIN_ATTEMPTS',
    'too many failed login attempts; try again later',
    { retryAfterMs: String(Math.max(1, Math.ceil(retryAfterMs))) },
  );

/** The throttle's store cannot be reached: no login is let through unthrottled. */
export const loginThrottleUnavailable = (): DomainError =>
  new DomainError(
    'unavailable',
    'LOGIN_THROTTLE_UNAVAILABLE',
    'login is temporarily unavailable; retry later',
  );
