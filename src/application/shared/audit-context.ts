import type { AuditActor } from '../../domain/audit/audit-event.js';
import type { Actor } from './actor.js';

/** What the inbound adapter knows about the request, for the audit log. */
export interface AuditContext {
  readonly requestId?: string | undefined;
  /** The caller's address, without port (the transport peer, not a client-sent header). */
  readonly ip?: string | undefined;
}

/** The audit actor of an authenticated call. */
export const auditActorOf = (actor: Actor, context: AuditContext): AuditActor => ({
  subjectId: actor.principal.subjectId,
  kind: actor.principal.kind,
  ip: context.ip,
  requestId: context.requestId,
});

/** Details naming the principal's home tenant when it acts in another one (platform operators). */
export const actingFrom = (actor: Actor, tenantId: string): Record<string, string> =>
  actor.principal.tenantId === tenantId ? {} : { actorTenantId: actor.principal.tenantId };
