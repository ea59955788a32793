import type { Knex } from 'knex';
import { RateLimiterPostgres } from 'rate-limiter-flexible';

import type { RecoveryThrottle } from '../../../domain/identity/recovery-throttle.port.js';
import {
  RateLimiterRecoveryThrottle,
  recoveryLimiterOptions,
  type RecoveryThrottleRules,
} from '../shared/rate-limiter-recovery-throttle.js';
import { throttleTable } from './pg-throttle-table.js';

/** Mailed-token request caps in `core.login_throttle` (migration 004), under their own key prefixes. */
export function pgRecoveryThrottle(knex: Knex, rules: RecoveryThrottleRules): RecoveryThrottle {
  const options = recoveryLimiterOptions(rules);
  const store = throttleTable(knex);
  return new RateLimiterRecoveryThrottle({
    byAccount: new RateLimiterPostgres({ ...store, ...options.byAccount }),
    byIp: new RateLimiterPostgres({ ...store, ...options.byIp }),
  });
}
