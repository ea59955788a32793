import type { Principal } from '../../domain/identity/principal.js';

/**
 * Whether a principal holds a permission in its own tenant now, as the authorization engine
 * decides from the live policy (never from the token's `roles` claim, which may be stale).
 * Answers synchronously when the caller's compiled policy is cached.
 */
export interface PermissionHolder {
  holds(principal: Principal, permission: string): boolean | Promise<boolean>;
}
