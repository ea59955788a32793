import { RateLimiterRedis } from 'rate-limiter-flexible';
import type { RedisClientType } from 'redis';

import type { RecoveryThrottle } from '../../../domain/identity/recovery-throttle.port.js';
import {
  RateLimiterRecoveryThrottle,
  recoveryLimiterOptions,
  type RecoveryThrottleRules,
} from '../shared/rate-limiter-recovery-throttle.js';

/** Mailed-token request caps in Redis, shared by every replica (fails closed while it is down). */
export function redisRecoveryThrottle(
  client: RedisClientType,
  rules: RecoveryThrottleRules,
): RecoveryThrottle {
  const options = recoveryLimiterOptions(rules);
  const store = { storeClient: client, useRedisPackage: true, rejectIfRedisNotReady: true };
  return new RateLimiterRecoveryThrottle({
    byAccount: new RateLimiterRedis({ ...store, ...options.byAccount }),
    byIp: new RateLimiterRedis({ ...store, ...options.byIp }),
  });
}
