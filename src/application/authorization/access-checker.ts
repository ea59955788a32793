import type { AccessRule } from '../../domain/authorization/access-rule.js';
import { rolesGrant } from '../../domain/authorization/access-policy.js';
import {
  authenticationRequired,
  permissionDenied,
} from '../../domain/authorization/authorization.errors.js';
import { PLATFORM_ADMIN_PERMISSION } from '../../domain/authorization/system-roles.js';
import { PLATFORM_TENANT_ID } from '../../domain/shared/platform-tenant.js';
import type { Actor } from '../shared/actor.js';

/** Enforces an operation's declared access rule for the actor (undefined = anonymous). */
export class AccessChecker {
  check(actor: Actor | undefined, rule: AccessRule): void {
    if (rule.kind === 'public') return;
    if (actor === undefined) throw authenticationRequired();
    const { principal } = actor;
    switch (rule.kind) {
      case 'authenticated':
        return;
      case 'platform':
        if (
          principal.tenantId !== PLATFORM_TENANT_ID ||
          !rolesGrant(principal.roles, PLATFORM_ADMIN_PERMISSION)
        ) {
          throw permissionDenied(PLATFORM_ADMIN_PERMISSION);
        }
        return;
      case 'permission':
        if (!rolesGrant(principal.roles, rule.permission)) throw permissionDenied(rule.permission);
        return;
    }
  }
}
