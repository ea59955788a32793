import type { AuditActor } from '../audit/audit-event.js';

/** Who ended the sessions and why, for the audit event. */
export interface RevocationCause {
  readonly actor: AuditActor;
  /** E.g. `user_disabled`, `password_changed`, `password_reset`. */
  readonly reason: string;
}

/**
 * Ends sessions, for flows outside session management (password change, user disable): the
 * revocation reaches every replica's token checks within a second.
 */
export interface SessionRevoker {
  /**
   * Ends every live session of a user but `exceptSessionId`, and records it in the audit log
   * (`auth.sessions.revoked_all`, with the count) in the same transaction; returns how many
   * ended.
   */
  revokeAllOfUser(
    tenantId: string,
    userId: string,
    cause: RevocationCause,
    exceptSessionId?: string,
  ): Promise<number>;
}
