import { createHash } from 'node:crypto';
import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

import {
  recoveryThrottled,
  recoveryThrottleUnavailable,
  type RecoveryRequest,
  type RecoveryThrottle,
} from '../../../domain/identity/recovery-throttle.port.js';

export interface RecoveryThrottleRules {
  /** Requests per (tenant, email) per window... */
  readonly maxPerAccount: number;
  /** ...and per source ip per window... */
  readonly maxPerIp: number;
  /** ...of this length. */
  readonly windowSeconds: number;
  /** Keeps another kind of request's counts apart (default `recovery`). */
  readonly keyPrefix?: string;
}

export interface RecoveryLimiters {
  readonly byAccount: RateLimiterAbstract;
  readonly byIp: RateLimiterAbstract;
}

const accountKey = ({ tenantSlug, email }: RecoveryRequest): string =>
  `{${tenantSlug}}:${createHash('sha256').update(email).digest('hex')}`;

/**
 * `RecoveryThrottle` over rate-limiter-flexible: every request consumes a point per account
 * and per ip (existing account or not); a store failure fails closed (UNAVAILABLE).
 */
export class RateLimiterRecoveryThrottle implements RecoveryThrottle {
  constructor(private readonly limiters: RecoveryLimiters) {}

  async consume(request: RecoveryRequest): Promise<void> {
    try {
      await this.limiters.byAccount.consume(accountKey(request));
      if (request.ip !== undefined) await this.limiters.byIp.consume(request.ip);
    } catch (error) {
      if (error instanceof RateLimiterRes) throw recoveryThrottled(error.msBeforeNext);
      throw recoveryThrottleUnavailable();
    }
  }
}

/** Each technology's factory builds both limiters with these options. */
export const recoveryLimiterOptions = (rules: RecoveryThrottleRules) =>
  ({
    byAccount: {
      keyPrefix: `${rules.keyPrefix ?? 'recovery'}-account`,
      points: rules.maxPerAccount,
      duration: rules.windowSeconds,
    },
    byIp: {
      keyPrefix: `${rules.keyPrefix ?? 'recovery'}-ip`,
      points: rules.maxPerIp,
      duration: rules.windowSeconds,
    },
  }) as const;

/** In process memory: tests and single-process tools. */
export const memoryRecoveryThrottle = (rules: RecoveryThrottleRules): RecoveryThrottle => {
  const o = recoveryLimiterOptions(rules);
  return new RateLimiterRecoveryThrottle({
    byAccount: new RateLimiterMemory(o.byAccount),
    byIp: new RateLimiterMemory(o.byIp),
  });
};
