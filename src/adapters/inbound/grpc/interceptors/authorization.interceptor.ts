import type { AccessChecker } from '../../../../application/authorization/access-checker.js';
import type { Interceptor } from '../interceptor.js';

/** Enforces the access rule the contract declares for the method. */
export function authorizationInterceptor(checker: AccessChecker): Interceptor {
  return (ctx, next) => {
    checker.check(ctx.actor, ctx.method.access);
    return next();
  };
}
