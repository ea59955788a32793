import type { AccessRule } from '../../domain/authorization/access-rule.js';
import { rolesGrant } from '../../domain/authorization/access-policy.js';
import {
  authenticationRequired,
  permissionDenied,
} from '../../domain/authorization/authorization.errors.js';
import { PLATFORM_ADMIN_PERMISSION } from '../../domain/authorization/system-roles.js';
import type { Actor } from '../shared/actor.js';
import { isPlatformOperator } from '../shared/platform-operator.js';

/** Enforces an operation's declared access rule for the actor (undefined = anonymous). */
export class AccessChecker {
  check(actor: Actor | undefined, rule: AccessRule): void {
    if (rule.kind === 'public') return;
    if (rule.kind === 'permission_or_self_service' && actor === undefined) return;
    if (actor === undefined) throw authenticationRequired();
    const { principal } = actor;
    switch (rule.kind) {
      case 'authenticated':
        return;
      case 'platform':
        if (!isPlatformOperator(principal)) throw permissionDenied(PLATFORM_ADMIN_PERMISSION);
        return;
      case 'permission':
      case 'permission_or_self_service':
        if (!rolesGrant(principal.tenantId, principal.roles, rule.permission))
          throw permissionDenied(rule.permission);
        return;
    }
  }
}
