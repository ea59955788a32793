import {
  type AuditChainState,
  type ChainedAuditEvent,
  type ChainLink,
  GENESIS_LINK,
  linkEvents,
  type Sha256,
} from '../../../domain/audit/audit-chain.js';
import type { AuditEvent } from '../../../domain/audit/audit-event.js';
import type { AuditEventQuery, AuditLog } from '../../../domain/audit/audit-log.port.js';
import { isUuid } from '../../../domain/shared/uuid.js';
import { sha256Hex } from '../shared/sha256.js';
import { rowKey, uniqueViolation } from './memory-database.js';

const order = (a: AuditEvent, b: AuditEvent): number =>
  a.occurredAt.getTime() - b.occurredAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

const withoutChain = ({
  sequence: _sequence,
  prevHash: _prevHash,
  hash: _hash,
  ...event
}: ChainedAuditEvent): AuditEvent => event;

const matches = (event: ChainedAuditEvent, query: AuditEventQuery): boolean =>
  (query.beforeSequence === undefined || event.sequence < query.beforeSequence) &&
  (query.actorSubjectId === undefined || event.actor.subjectId === query.actorSubjectId) &&
  (query.actionPrefix === undefined || event.action.startsWith(query.actionPrefix)) &&
  (query.outcome === undefined || event.outcome === query.outcome) &&
  (query.since === undefined || event.occurredAt >= query.since) &&
  (query.until === undefined || event.occurredAt < query.until);

/**
 * The memory twin of `PgAuditLog`: append-only, a tenant reads only its own events, a batch is
 * stored all or nothing, an id already used in the tenant is refused, and each tenant's events
 * are chained (sequence and hash) exactly as Postgres stores them.
 */
export class InMemoryAuditLog implements AuditLog {
  private readonly events = new Map<string, ChainedAuditEvent>();
  private readonly heads = new Map<string, ChainLink>();

  constructor(private readonly sha256: Sha256 = sha256Hex) {}

  append(events: readonly AuditEvent[]): Promise<void> {
    const groups = new Map<string, AuditEvent[]>();
    const keys = new Set<string>();
    for (const event of events) {
      if (!isUuid(event.tenantId)) {
        return Promise.reject(new Error('audit event: the tenant id must be a UUID'));
      }
      const key = rowKey(event.tenantId, event.id);
      if (this.events.has(key) || keys.has(key)) {
        return Promise.reject(uniqueViolation('audit_events_pkey'));
      }
      keys.add(key);
      const tenantId = event.tenantId.toLowerCase();
      // Stored as a copy: a caller changing its object later cannot rewrite history.
      groups.set(tenantId, [
        ...(groups.get(tenantId) ?? []),
        structuredClone({ ...event, tenantId }),
      ]);
    }
    for (const [tenantId, group] of groups) {
      const linked = linkEvents(this.sha256, this.headOf(tenantId), group);
      for (const event of linked) this.events.set(rowKey(tenantId, event.id), event);
      const last = linked.at(-1);
      if (last !== undefined)
        this.heads.set(tenantId, { sequence: last.sequence, hash: last.hash });
    }
    return Promise.resolve();
  }

  list(tenantId: string, limit: number): Promise<readonly AuditEvent[]> {
    return this.own(tenantId).then((own) =>
      own
        .sort(order)
        .slice(0, limit)
        .map((event) => structuredClone(withoutChain(event))),
    );
  }

  search(tenantId: string, query: AuditEventQuery): Promise<readonly ChainedAuditEvent[]> {
    return this.own(tenantId).then((own) =>
      own
        .filter((event) => matches(event, query))
        .sort((a, b) => b.sequence - a.sequence)
        .slice(0, query.limit)
        .map((event) => structuredClone(event)),
    );
  }

  chainState(tenantId: string): Promise<AuditChainState> {
    return this.own(tenantId).then(() => ({
      anchor: GENESIS_LINK,
      head: this.headOf(tenantId.toLowerCase()),
    }));
  }

  chainSlice(
    tenantId: string,
    afterSequence: number,
    upToSequence: number,
    limit: number,
  ): Promise<readonly ChainedAuditEvent[]> {
    return this.own(tenantId).then((own) =>
      own
        .filter((event) => event.sequence > afterSequence && event.sequence <= upToSequence)
        .sort((a, b) => a.sequence - b.sequence)
        .slice(0, limit)
        .map((event) => structuredClone(event)),
    );
  }

  private headOf(tenantId: string): ChainLink {
    return this.heads.get(tenantId) ?? GENESIS_LINK;
  }

  private own(tenantId: string): Promise<ChainedAuditEvent[]> {
    if (!isUuid(tenantId)) {
      return Promise.reject(new Error('audit log: the tenant id must be a UUID'));
    }
    const tenant = tenantId.toLowerCase();
    return Promise.resolve([...this.events.values()].filter((event) => event.tenantId === tenant));
  }
}
