import { RateLimiterMemory } from 'rate-limiter-flexible';

import {
  limiterOptions,
  RateLimiterLoginThrottle,
  type LoginThrottleRules,
} from '../shared/rate-limiter-login-throttle.js';

/** The memory twin: the same rules over `RateLimiterMemory` (one process only). */
export function inMemoryLoginThrottle(rules: LoginThrottleRules): RateLimiterLoginThrottle {
  const options = limiterOptions(rules);
  return new RateLimiterLoginThrottle(
    {
      byAccount: new RateLimiterMemory(options.byAccount),
      byIp: new RateLimiterMemory(options.byIp),
    },
    rules,
  );
}
