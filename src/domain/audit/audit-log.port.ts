import type { AuditChainState, ChainedAuditEvent } from './audit-chain.js';
import type { AuditEvent, AuditOutcome } from './audit-event.js';

/** Which events to list; every given filter must match. */
export interface AuditEventFilter {
  readonly actorSubjectId?: string | undefined;
  /** Matches actions starting with this text (`auth.` matches `auth.login.failed`). */
  readonly actionPrefix?: string | undefined;
  readonly outcome?: AuditOutcome | undefined;
  /** Occurred at or after. */
  readonly since?: Date | undefined;
  /** Occurred before. */
  readonly until?: Date | undefined;
}

export interface AuditEventQuery extends AuditEventFilter {
  /** Only events older in the chain than this sequence (the previous page's last). */
  readonly beforeSequence?: number | undefined;
  readonly limit: number;
}

/**
 * The append-only, hash-chained audit log. Events are never updated nor deleted (only the
 * database owner prunes old ones, moving the chain's anchor). `append` gives each event the
 * tenant's next sequence and chains its hash; concurrent appends in a tenant never fork the
 * chain. Successful events join the caller's request transaction when one is open (they
 * commit with the effects they describe, or not at all); failed and denied attempts, and
 * everything outside a request transaction, are committed on their own at once.
 */
export interface AuditLog {
  append(events: readonly AuditEvent[]): Promise<void>;
  /** The tenant's events, oldest first (by time, then id), at most `limit`. */
  list(tenantId: string, limit: number): Promise<readonly AuditEvent[]>;
  /** The tenant's events matching `query`, newest in the chain first (sequence descending). */
  search(tenantId: string, query: AuditEventQuery): Promise<readonly ChainedAuditEvent[]>;
  /** The tenant's chain anchor and head (both genesis for a tenant with no events yet). */
  chainState(tenantId: string): Promise<AuditChainState>;
  /** Up to `limit` events with a sequence in (`afterSequence`, `upToSequence`], ascending. */
  chainSlice(
    tenantId: string,
    afterSequence: number,
    upToSequence: number,
    limit: number,
  ): Promise<readonly ChainedAuditEvent[]>;
}
