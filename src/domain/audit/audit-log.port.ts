import type { AuditEvent } from './audit-event.js';

/**
 * The append-only audit log. Events are never updated nor deleted. `append` joins the caller's
 * request transaction when one is open (the events commit with the effects they describe),
 * otherwise it commits them on its own.
 */
export interface AuditLog {
  append(events: readonly AuditEvent[]): Promise<void>;
  /** The tenant's events, oldest first (by time, then id), at most `limit`. */
  list(tenantId: string, limit: number): Promise<readonly AuditEvent[]>;
}
