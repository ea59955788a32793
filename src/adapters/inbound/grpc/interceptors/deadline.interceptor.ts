import { DomainError } from '../../../../domain/shared/errors.js';
import type { Interceptor } from '../interceptor.js';

/**
 * Refuses calls whose deadline has already passed; the remaining time is on `ctx.signal`
 * for handlers that can stop early.
 */
export function deadlineInterceptor(): Interceptor {
  return (ctx, next) => {
    if (ctx.over) {
      throw new DomainError(
        'deadline_exceeded',
        'DEADLINE_PASSED',
        'the call was cancelled or its deadline passed',
      );
    }
    return next();
  };
}
