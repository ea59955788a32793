import type { TokenAuthenticator } from '../../../../application/identity/authenticate-token.js';
import type { ActingTenantResolver } from '../../../../application/tenancy/resolve-acting-tenant.js';
import { invalidToken } from '../../../../domain/identity/identity.errors.js';
import type { Interceptor } from '../interceptor.js';

const SCHEME = 'Bearer ';

/**
 * Verifies the bearer token and settles the tenant the call acts in (its own, or the
 * `x-tenant-id` a platform principal names). Public methods ignore credentials entirely, so a
 * stale token never breaks Login.
 */
export function authenticationInterceptor(
  authenticator: TokenAuthenticator,
  actingTenant: ActingTenantResolver,
): Interceptor {
  return async (ctx, next) => {
    if (ctx.method.access.kind === 'public') return next();
    const header = ctx.header('authorization');
    if (header !== undefined) {
      // Only the scheme is checked here: the token's own form is checked where it is verified,
      // so a token already verified costs no scan of its ~600 characters on every call.
      if (!header.startsWith(SCHEME) || header.length === SCHEME.length) {
        throw invalidToken('authorization must be "Bearer <token>"');
      }
      const principal = await authenticator.run(header.slice(SCHEME.length));
      ctx.actor = await actingTenant.run(principal, ctx.header('x-tenant-id'));
    }
    return next();
  };
}
