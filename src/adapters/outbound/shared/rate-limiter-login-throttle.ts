import { createHash } from 'node:crypto';
import type { RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';

import {
  loginThrottled,
  loginThrottleUnavailable,
  type LoginAttempt,
  type LoginThrottle,
} from '../../../domain/identity/login-throttle.port.js';

export interface LoginThrottleRules {
  /** Consecutive failures per (tenant, email) before the account is locked. */
  readonly maxFailures: number;
  /** How long a lock lasts. */
  readonly lockSeconds: number;
  /** Failures per source ip allowed in one window... */
  readonly maxFailuresPerIp: number;
  /** ...of this length. */
  readonly ipWindowSeconds: number;
}

export const DEFAULT_IP_RULES = { maxFailuresPerIp: 100, ipWindowSeconds: 900 } as const;

/** How long consecutive failures are remembered without a success (then they start over). */
export const CONSECUTIVE_WINDOW_SECONDS = 86_400;

/** The two counters, built by each technology's factory with these options. */
export interface LoginLimiters {
  readonly byAccount: RateLimiterAbstract;
  readonly byIp: RateLimiterAbstract;
}

export const limiterOptions = (
  rules: LoginThrottleRules,
): {
  readonly byAccount: { keyPrefix: string; points: number; duration: number };
  readonly byIp: { keyPrefix: string; points: number; duration: number };
} => ({
  byAccount: {
    keyPrefix: 'login-account',
    points: rules.maxFailures,
    duration: Math.max(CONSECUTIVE_WINDOW_SECONDS, rules.lockSeconds),
  },
  byIp: {
    keyPrefix: 'login-ip',
    points: rules.maxFailuresPerIp,
    duration: rules.ipWindowSeconds,
  },
});

/**
 * The account key: the tenant slug (a Redis Cluster hash tag) and a SHA-256 of the normalized
 * email, so the store never holds an email address.
 */
const accountKey = ({ tenantSlug, email }: LoginAttempt): string =>
  `{${tenantSlug}}:${createHash('sha256').update(email).digest('hex')}`;

const exhausted = (res: RateLimiterRes | null, points: number): number | undefined =>
  res !== null && res.consumedPoints >= points && res.msBeforeNext > 0
    ? res.msBeforeNext
    : undefined;

/** The store is down (Redis unreachable): login fails closed rather than going unthrottled. */
const orUnavailable = async <T>(work: Promise<T>): Promise<T> => {
  try {
    return await work;
  } catch {
    throw loginThrottleUnavailable();
  }
};

/**
 * `LoginThrottle` over rate-limiter-flexible (any store: memory, Redis, Postgres). Failures
 * are counted with `penalty` (never rejects); the `maxFailures`-th consecutive failure blocks
 * the account for `lockSeconds`; `check` reads both counters. A store failure is
 * LOGIN_THROTTLE_UNAVAILABLE (UNAVAILABLE): login fails closed rather than unthrottled.
 */
export class RateLimiterLoginThrottle implements LoginThrottle {
  constructor(
    private readonly limiters: LoginLimiters,
    private readonly rules: LoginThrottleRules,
  ) {}

  async check(attempt: LoginAttempt): Promise<void> {
    const [account, ip] = await orUnavailable(
      Promise.all([
        this.limiters.byAccount.get(accountKey(attempt)),
        attempt.ip === undefined ? null : this.limiters.byIp.get(attempt.ip),
      ]),
    );
    const waits = [
      exhausted(account, this.rules.maxFailures),
      exhausted(ip, this.rules.maxFailuresPerIp),
    ].filter((wait): wait is number => wait !== undefined);
    if (waits.length > 0) throw loginThrottled(Math.max(...waits));
  }

  async recordFailure(attempt: LoginAttempt): Promise<{ readonly locked: boolean }> {
    const key = accountKey(attempt);
    const [account] = await orUnavailable(
      Promise.all([
        this.limiters.byAccount.penalty(key, 1),
        attempt.ip === undefined ? undefined : this.limiters.byIp.penalty(attempt.ip, 1),
      ]),
    );
    if (account.consumedPoints !== this.rules.maxFailures) return { locked: false };
    // Exactly the failure that reached the limit starts the lock (a fixed-length one).
    await orUnavailable(this.limiters.byAccount.block(key, this.rules.lockSeconds));
    return { locked: true };
  }

  async recordSuccess(attempt: LoginAttempt): Promise<void> {
    await orUnavailable(this.limiters.byAccount.delete(accountKey(attempt)));
  }
}
