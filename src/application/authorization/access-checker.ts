import type { AccessRule } from '../../domain/authorization/access-rule.js';
import { authenticationRequired } from '../../domain/authorization/authorization.errors.js';
import { PLATFORM_ADMIN_PERMISSION } from '../../domain/authorization/system-roles.js';
import { PLATFORM_TENANT_ID } from '../../domain/shared/platform-tenant.js';
import type { Actor } from '../shared/actor.js';
import type { LazyAccessContext, PolicyDecisionPoint } from './policy-decision-point.js';

/**
 * Enforces an operation's declared access rule for the actor (undefined = anonymous). The
 * engine decides: a declared permission is checked for the caller in the caller's own tenant;
 * platform methods need `platform:admin` in the platform tenant. Returns at once when the
 * caller's compiled policy is cached; only a cache miss returns a promise (database read).
 */
export class AccessChecker {
  constructor(private readonly decisions: PolicyDecisionPoint) {}

  check(
    actor: Actor | undefined,
    rule: AccessRule,
    context: LazyAccessContext = {},
  ): void | Promise<void> {
    if (rule.kind === 'public') return undefined;
    if (rule.kind === 'permission_or_self_service' && actor === undefined) return undefined;
    if (actor === undefined) throw authenticationRequired();
    const { principal } = actor;
    switch (rule.kind) {
      case 'authenticated':
        return undefined;
      case 'platform':
        if (principal.tenantId !== PLATFORM_TENANT_ID) {
          return this.decisions.deny(
            principal,
            PLATFORM_ADMIN_PERMISSION,
            'platform methods are for the platform tenant only',
            context,
          );
        }
        return this.decisions.authorize(principal, PLATFORM_ADMIN_PERMISSION, context);
      case 'permission':
      case 'permission_or_self_service':
        return this.decisions.authorize(principal, rule.permission, context);
    }
  }
}
