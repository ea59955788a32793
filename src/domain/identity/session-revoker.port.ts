/**
 * Ends sessions, for flows outside session management (password change, user disable): the
 * revocation reaches every replica's token checks within a second.
 */
export interface SessionRevoker {
  /** Ends every live session of a user but `exceptSessionId`; returns how many ended. */
  revokeAllOfUser(tenantId: string, userId: string, exceptSessionId?: string): Promise<number>;
}
