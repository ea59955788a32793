import type { RedisClientType } from 'redis';
import { RateLimiterRedis } from 'rate-limiter-flexible';

import {
  limiterOptions,
  RateLimiterLoginThrottle,
  type LoginThrottleRules,
} from '../shared/rate-limiter-login-throttle.js';

/**
 * The login throttle in Redis, shared by every replica. node-redis v4+ needs
 * `useRedisPackage`; `rejectIfRedisNotReady` fails fast while Redis is down (login then fails
 * closed).
 */
export function redisLoginThrottle(
  client: RedisClientType,
  rules: LoginThrottleRules,
): RateLimiterLoginThrottle {
  const options = limiterOptions(rules);
  const store = { storeClient: client, useRedisPackage: true, rejectIfRedisNotReady: true };
  return new RateLimiterLoginThrottle(
    {
      byAccount: new RateLimiterRedis({ ...store, ...options.byAccount }),
      byIp: new RateLimiterRedis({ ...store, ...options.byIp }),
    },
    rules,
  );
}
