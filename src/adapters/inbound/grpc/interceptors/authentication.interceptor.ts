import type { TokenAuthenticator } from '../../../../application/identity/authenticate-token.js';
import type { ActingTenantResolver } from '../../../../application/tenancy/resolve-acting-tenant.js';
import { invalidToken } from '../../../../domain/identity/identity.errors.js';
import type { Interceptor } from '../interceptor.js';

const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]+)$/;

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
      const match = BEARER.exec(header);
      if (match?.[1] === undefined) throw invalidToken('authorization must be "Bearer <token>"');
      const principal = await authenticator.run(match[1]);
      ctx.actor = await actingTenant.run(principal, ctx.header('x-tenant-id'));
    }
    return next();
  };
}
