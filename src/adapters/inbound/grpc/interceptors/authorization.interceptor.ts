import type { AccessChecker } from '../../../../application/authorization/access-checker.js';
import type { Interceptor } from '../interceptor.js';
import { auditContextOf } from '../mappers/audit-context.mapper.js';

/**
 * Enforces the access rule the contract declares for the method, through the authorization
 * engine. Synchronous when the caller's compiled policy is cached (the common case).
 */
export function authorizationInterceptor(checker: AccessChecker): Interceptor {
  return (ctx, next) => {
    // Made only when a decision is audited (denied, or a sensitive permission granted).
    const checked = checker.check(ctx.actor, ctx.method.access, () => ({
      ...auditContextOf(ctx),
      operation: ctx.method.path,
    }));
    return checked === undefined ? next() : checked.then(next);
  };
}
