import type { Actor } from './actor.js';

/** A principal that may reach into tenants other than its own (see `Actor.platformOperator`). */
export const isPlatformOperator = (actor: Actor): boolean => actor.platformOperator === true;

/** Whether the actor may touch this tenant: its own, or any when it is a platform operator. */
export const mayReach = (actor: Actor, tenantId: string): boolean =>
  tenantId === actor.principal.tenantId || isPlatformOperator(actor);
