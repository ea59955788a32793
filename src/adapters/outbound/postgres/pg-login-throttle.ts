import type { Knex } from 'knex';
import { RateLimiterPostgres } from 'rate-limiter-flexible';

import {
  limiterOptions,
  RateLimiterLoginThrottle,
  type LoginThrottleRules,
} from '../shared/rate-limiter-login-throttle.js';
import { throttleTable } from './pg-throttle-table.js';

/**
 * The login throttle in `core.login_throttle` (created by migration 004: the app role has no
 * CREATE, hence `tableCreated`), shared by every replica. Both counters share the table; their
 * key prefixes keep them apart. The library deletes rows expired over an hour ago every five
 * minutes by itself.
 */
export function pgLoginThrottle(knex: Knex, rules: LoginThrottleRules): RateLimiterLoginThrottle {
  const options = limiterOptions(rules);
  const store = throttleTable(knex);
  return new RateLimiterLoginThrottle(
    {
      byAccount: new RateLimiterPostgres({ ...store, ...options.byAccount }),
      byIp: new RateLimiterPostgres({ ...store, ...options.byIp }),
    },
    rules,
  );
}
